// ns-3 twin of netsim's scenarios/diamond.toml:
//
//            R2
//          /    \      primary path: A-R1-R2-R4-B (12 ms one way)
//   A -- R1      R4 -- B
//          \    /      backup path: A-R1-R3-R4-B (22 ms one way)
//            R3
//
// A CBR UDP flow A -> B:5000, 1000-byte payloads at 2 Mbit/s (one every 4 ms,
// the k-th at exactly k * 4 ms, while t < 20 s). Link R2-R4 fails at 5 s
// (both IPv4 interfaces set down) and is repaired at 15 s; routes are recomputed
// 250 ms after each (netsim: detection 50 ms + convergence 200 ms). Routing is
// ns-3 global routing (OSPF-like shortest paths) with each interface's metric set
// to its link's propagation delay in ms, the cost netsim's routers minimize.
//
//   diamond [--duration=20]
//
// Prints one line `RESULT key=value ...` with the figures at t = duration, as in
// netsim. ns-3 discards a packet handed to a down IPv4 interface without any
// trace, so the simulation runs on for 2 s with the source silent: what arrives
// then was in flight at t = duration, and lost = sent - delivered - in flight.
// Wall-clock figures are measured with std::chrono around the setup and around
// Simulator::Run (the drain adds the handful of events of those few packets).

#include "common.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

using namespace ns3;
using namespace netsimcmp;

namespace
{

const uint32_t kPayload = 1000;
const uint64_t kRateBps = 2000000;
const uint16_t kPort = 5000;

struct CbrStats
{
    uint64_t sent = 0;
    uint64_t received = 0;
    uint64_t receivedAtStop = 0; // snapshot at t = duration
    double delaySumAtStop = 0;
    double delayMaxAtStop = 0;
    double delaySum = 0;
    double delayMin = 1e300;
    double delayMax = 0;
    std::map<int, uint64_t> dropsByReason; // Ipv4L3Protocol::DropReason -> packets
    uint64_t queueDrops = 0;
};

CbrStats g_stats;
Ptr<Socket> g_src;
Time g_stop;

// Send time of datagram k, on the exact grid netsim uses.
Time
CbrTime(uint64_t k)
{
    return NanoSeconds(int64_t(k * kPayload * 8 * 1000000000ull / kRateBps));
}

void
SendCbr(Address to)
{
    uint8_t buf[kPayload];
    std::memset(buf, 0, sizeof buf);
    uint64_t k = g_stats.sent;
    std::memcpy(buf, &k, sizeof k); // sequence number, to compute one-way delay
    g_src->SendTo(Create<Packet>(buf, kPayload), 0, to);
    ++g_stats.sent;
    Time next = CbrTime(g_stats.sent);
    if (next < g_stop)
    {
        Simulator::Schedule(next - Simulator::Now(), &SendCbr, to);
    }
}

void
ReceiveCbr(Ptr<Socket> sock)
{
    Ptr<Packet> p;
    while ((p = sock->Recv()))
    {
        uint8_t buf[sizeof(uint64_t)];
        p->CopyData(buf, sizeof buf);
        uint64_t k;
        std::memcpy(&k, buf, sizeof k);
        double d = (Simulator::Now() - CbrTime(k)).GetSeconds() * 1e3;
        g_stats.delaySum += d;
        g_stats.delayMin = std::min(g_stats.delayMin, d);
        g_stats.delayMax = std::max(g_stats.delayMax, d);
        ++g_stats.received;
    }
}

void
OnIpDrop(const Ipv4Header&, Ptr<const Packet>, Ipv4L3Protocol::DropReason r, Ptr<Ipv4>, uint32_t)
{
    ++g_stats.dropsByReason[int(r)];
}

void
SetLink(Ptr<Node> a, uint32_t ifA, Ptr<Node> b, uint32_t ifB, bool up)
{
    if (up)
    {
        a->GetObject<Ipv4>()->SetUp(ifA);
        b->GetObject<Ipv4>()->SetUp(ifB);
    }
    else
    {
        a->GetObject<Ipv4>()->SetDown(ifA);
        b->GetObject<Ipv4>()->SetDown(ifB);
    }
}

const char*
ReasonName(int r)
{
    switch (r)
    {
    case Ipv4L3Protocol::DROP_TTL_EXPIRED:
        return "ttl_expired";
    case Ipv4L3Protocol::DROP_NO_ROUTE:
        return "no_route";
    case Ipv4L3Protocol::DROP_INTERFACE_DOWN:
        return "interface_down";
    case Ipv4L3Protocol::DROP_ROUTE_ERROR:
        return "route_error";
    default:
        return "other";
    }
}

} // namespace

int
main(int argc, char* argv[])
{
    double duration = 20.0;
    CommandLine cmd(__FILE__);
    cmd.AddValue("duration", "simulated seconds", duration);
    cmd.Parse(argc, argv);
    g_stop = ns3::Seconds(duration);

    auto t0 = std::chrono::steady_clock::now();
    ConfigureTcpLikeNetsim(); // no TCP flow here; kept so both programs agree

    // Nodes in the scenario's order: A, B, R1, R2, R3, R4.
    NodeContainer nodes;
    nodes.Create(6);
    Ptr<Node> a = nodes.Get(0), b = nodes.Get(1), r1 = nodes.Get(2), r2 = nodes.Get(3),
              r3 = nodes.Get(4), r4 = nodes.Get(5);
    InternetStackHelper stack; // static + global routing
    stack.Install(nodes);

    struct Spec
    {
        Ptr<Node> x, y;
        const char* rate;
        const char* delay;
        uint16_t metric; // = propagation delay in ms
    };
    std::vector<Spec> links = {
        {a, r1, "100Mbps", "1ms", 1},
        {r1, r2, "10Mbps", "5ms", 5},
        {r2, r4, "10Mbps", "5ms", 5},
        {r1, r3, "10Mbps", "10ms", 10},
        {r3, r4, "10Mbps", "10ms", 10},
        {r4, b, "100Mbps", "1ms", 1},
    };
    Ipv4AddressHelper addr("10.0.0.0", "255.255.255.252");
    std::vector<NetDeviceContainer> devs;
    std::vector<Ipv4InterfaceContainer> ifs;
    for (const Spec& s : links)
    {
        NetDeviceContainer d = Link(s.x, s.y, s.rate, s.delay);
        Ipv4InterfaceContainer i = addr.Assign(d);
        addr.NewNetwork();
        RemoveQdiscs(d);
        for (uint32_t k = 0; k < 2; ++k)
        {
            Ptr<Ipv4> ip = d.Get(k)->GetNode()->GetObject<Ipv4>();
            ip->SetMetric(ip->GetInterfaceForDevice(d.Get(k)), s.metric);
        }
        devs.push_back(d);
        ifs.push_back(i);
    }
    Ipv4GlobalRoutingHelper::PopulateRoutingTables();

    for (uint32_t i = 0; i < nodes.GetN(); ++i)
    {
        nodes.Get(i)->GetObject<Ipv4L3Protocol>()->TraceConnectWithoutContext(
            "Drop",
            MakeCallback(&OnIpDrop));
        CountQueueDrops(nodes.Get(i), &g_stats.queueDrops);
    }

    // The failure of R2-R4 (link index 2).
    Ptr<Ipv4> ip2 = r2->GetObject<Ipv4>();
    Ptr<Ipv4> ip4 = r4->GetObject<Ipv4>();
    uint32_t if2 = ip2->GetInterfaceForDevice(devs[2].Get(0));
    uint32_t if4 = ip4->GetInterfaceForDevice(devs[2].Get(1));
    const Time reroute = MilliSeconds(50 + 200);
    Simulator::Schedule(ns3::Seconds(5), &SetLink, r2, if2, r4, if4, false);
    Simulator::Schedule(ns3::Seconds(5) + reroute, &Ipv4GlobalRoutingHelper::RecomputeRoutingTables);
    Simulator::Schedule(ns3::Seconds(15), &SetLink, r2, if2, r4, if4, true);
    Simulator::Schedule(ns3::Seconds(15) + reroute,
                        &Ipv4GlobalRoutingHelper::RecomputeRoutingTables);

    // The CBR flow: source port 49152 on A, sink on B:5000.
    Ptr<Socket> sink = Socket::CreateSocket(b, UdpSocketFactory::GetTypeId());
    sink->Bind(InetSocketAddress(Ipv4Address::GetAny(), kPort));
    sink->SetRecvCallback(MakeCallback(&ReceiveCbr));
    g_src = Socket::CreateSocket(a, UdpSocketFactory::GetTypeId());
    g_src->Bind(InetSocketAddress(Ipv4Address::GetAny(), 49152));
    Address to = InetSocketAddress(ifs[5].GetAddress(1), kPort);
    Simulator::ScheduleWithContext(a->GetId(), ns3::Seconds(0), &SendCbr, to);

    // Figures at t = duration (deliveries at exactly t = duration count, as in netsim).
    Simulator::Schedule(g_stop + NanoSeconds(1), +[]() {
        g_stats.receivedAtStop = g_stats.received;
        g_stats.delaySumAtStop = g_stats.delaySum;
        g_stats.delayMaxAtStop = g_stats.delayMax;
    });
    Simulator::Stop(g_stop + ns3::Seconds(2));
    auto t1 = std::chrono::steady_clock::now();
    Simulator::Run();
    auto t2 = std::chrono::steady_clock::now();
    uint64_t events = Simulator::GetEventCount();

    uint64_t ipDrops = 0;
    std::string reasons;
    for (const auto& [r, c] : g_stats.dropsByReason)
    {
        ipDrops += c;
        reasons += std::string(reasons.empty() ? "" : ",") + ReasonName(r) + ":" + std::to_string(c);
    }
    uint64_t delivered = g_stats.receivedAtStop;
    uint64_t inFlight = g_stats.received - delivered;
    uint64_t lost = g_stats.sent - g_stats.received;
    std::printf("RESULT sim=ns-3 scenario=diamond duration_s=%g sent_packets=%llu "
                "sent_bytes=%llu delivered_packets=%llu delivered_bytes=%llu lost_packets=%llu "
                "lost_bytes=%llu in_flight_packets=%llu traced_ip_drops=%s queue_drops=%llu "
                "goodput_mbps=%.4f delay_min_ms=%.3f delay_mean_ms=%.3f delay_max_ms=%.3f "
                "tcp_completion_s=none events=%llu setup_wall_s=%.4f run_wall_s=%.4f\n",
                duration,
                (unsigned long long)g_stats.sent,
                (unsigned long long)(g_stats.sent * kPayload),
                (unsigned long long)delivered,
                (unsigned long long)(delivered * kPayload),
                (unsigned long long)lost,
                (unsigned long long)(lost * kPayload),
                (unsigned long long)inFlight,
                reasons.empty() ? "none" : reasons.c_str(),
                (unsigned long long)g_stats.queueDrops,
                double(delivered * kPayload) * 8 / duration / 1e6,
                g_stats.delayMin,
                delivered ? g_stats.delaySumAtStop / delivered : 0.0,
                g_stats.delayMaxAtStop,
                (unsigned long long)events,
                WallSeconds(t0, t1),
                WallSeconds(t1, t2));
    Simulator::Destroy();
    return 0;
}
