// Shared by dumbbell.cc and diamond.cc: TCP defaults matching netsim, point-to-point
// links whose only buffer is a 100-packet drop-tail device queue, and small helpers.
#ifndef NETSIM_NS3_COMMON_H
#define NETSIM_NS3_COMMON_H

#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace netsimcmp
{

using namespace ns3;

// netsim's [tcp] defaults, with sack = false (README "Settings" table).
inline void
ConfigureTcpLikeNetsim()
{
    // Congestion control and recovery: NewReno with RFC 6582 recovery, not PRR.
    Config::SetDefault("ns3::TcpL4Protocol::SocketType", TypeIdValue(TcpNewReno::GetTypeId()));
    Config::SetDefault("ns3::TcpL4Protocol::RecoveryType",
                       TypeIdValue(TcpClassicRecovery::GetTypeId()));
    // Options.
    Config::SetDefault("ns3::TcpSocketBase::Sack", BooleanValue(false));
    Config::SetDefault("ns3::TcpSocketBase::Timestamp", BooleanValue(false));
    Config::SetDefault("ns3::TcpSocketBase::WindowScaling", BooleanValue(true));
    // Segment size, windows and buffers.
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1448));
    Config::SetDefault("ns3::TcpSocket::InitialCwnd", UintegerValue(10));
    Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(1048576));
    Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(1048576));
    // ACKs: 40 ms delayed-ACK timer, an ACK for at least every 2nd segment.
    Config::SetDefault("ns3::TcpSocket::DelAckTimeout", TimeValue(MilliSeconds(40)));
    Config::SetDefault("ns3::TcpSocket::DelAckCount", UintegerValue(2));
    // Nagle on (netsim nodelay = false).
    Config::SetDefault("ns3::TcpSocket::TcpNoDelay", BooleanValue(false));
    // Timers: RTO in [1 s, ...], 1 ms clock granularity, first RTO 1 s;
    // SYN retransmitted after 1 s, doubling, 6 times; 15 data retries.
    Config::SetDefault("ns3::TcpSocketBase::MinRto", TimeValue(Seconds(1)));
    Config::SetDefault("ns3::TcpSocketBase::ClockGranularity", TimeValue(MilliSeconds(1)));
    Config::SetDefault("ns3::RttEstimator::InitialEstimation", TimeValue(Seconds(1)));
    Config::SetDefault("ns3::TcpSocket::ConnTimeout", TimeValue(Seconds(1)));
    Config::SetDefault("ns3::TcpSocket::ConnCount", UintegerValue(6));
    Config::SetDefault("ns3::TcpSocket::DataRetries", UintegerValue(15));
    // Fast retransmit after 3 duplicate ACKs, limited transmit (RFC 3042) on.
    Config::SetDefault("ns3::TcpSocketBase::ReTxThreshold", UintegerValue(3));
    Config::SetDefault("ns3::TcpSocketBase::LimitedTransmit", BooleanValue(true));
    // TIME-WAIT = 2 * MSL = 60 s.
    Config::SetDefault("ns3::TcpSocketBase::MaxSegLifetime", DoubleValue(30));
}

// One full-duplex link with netsim's queue model: each direction a drop-tail FIFO
// of `queuePackets` packets waiting (the packet being serialized has left the
// queue, as in PointToPointNetDevice), and no traffic-control qdisc.
inline NetDeviceContainer
Link(Ptr<Node> a, Ptr<Node> b, const std::string& rate, const std::string& delay,
     uint32_t queuePackets = 100)
{
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue(rate));
    p2p.SetChannelAttribute("Delay", StringValue(delay));
    p2p.SetQueue("ns3::DropTailQueue<Packet>",
                 "MaxSize",
                 QueueSizeValue(QueueSize(std::to_string(queuePackets) + "p")));
    return p2p.Install(a, b);
}

// Removes whatever root qdisc Ipv4AddressHelper::Assign installed (FqCoDel by
// default), so the device queue is the only buffer, as in netsim.
inline void
RemoveQdiscs(const NetDeviceContainer& devs)
{
    TrafficControlHelper tch;
    tch.Uninstall(devs);
}

// Adds every packet a node drops for a full queue to *counter. With no qdisc the
// device stops its transmit queue when 100 packets wait, and the traffic-control
// layer then discards the next packet (its "TcDrop" trace); the device queue's own
// "Drop" trace is connected too, in case a packet reaches a full queue.
inline void
CountQueueDrops(Ptr<Node> node, uint64_t* counter)
{
    auto bump = MakeBoundCallback(+[](uint64_t* c, Ptr<const Packet>) { ++*c; }, counter);
    bool ok = node->GetObject<TrafficControlLayer>()->TraceConnectWithoutContext("TcDrop", bump);
    for (uint32_t d = 0; d < node->GetNDevices(); ++d)
    {
        Ptr<PointToPointNetDevice> p = DynamicCast<PointToPointNetDevice>(node->GetDevice(d));
        if (p)
        {
            ok = ok && p->GetQueue()->TraceConnectWithoutContext("Drop", bump);
        }
    }
    NS_ABORT_MSG_UNLESS(ok, "could not connect a drop trace");
}

inline double
WallSeconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b)
{
    return std::chrono::duration<double>(b - a).count();
}

} // namespace netsimcmp

#endif
