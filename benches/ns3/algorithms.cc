// ns-3 twin of tests/congestion.rs (issue 14): one 10 Mbps / 20 ms bottleneck
// with a 100-packet drop-tail queue, access links 100 Mbps / 1 ms, one bulk TCP
// flow per name in --ccs (e.g. --ccs=TcpCubic or --ccs=TcpCubic,TcpNewReno),
// SACK on with RFC 6675-style classic recovery (netsim's defaults), 60 s.
//
//   algorithms --ccs=TcpNewReno[,TcpCubic...] [--duration=60] [--hystart=0]
//   algorithms --ccs=TcpDctcp --step_k=20
//
// --step_k=K (netsim's `aqm = "step"`, `aqm_threshold = K`, `ecn = true`): ECN
// on, and L's bottleneck queue is a RedQueueDisc used as a step marker (QW = 1,
// so the average is the instantaneous length; MinTh = MaxTh = K and Gentle
// off, so every ECN-capable packet that finds K or more waiting is marked CE,
// where gentle RED would ramp the probability up to 2·MaxTh; 100 packets at
// most) over a one-packet device queue; R's side a 100-packet FIFO qdisc.
// The queueing delay is then the qdisc's sojourn time.
//
// Prints `FLOW i cc=... rx_bytes=... retransmissions=...` per flow and one
// `RESULT ...` line (reductions: how often ssthresh was set) with the bottleneck's drops and mean queueing delay (the
// sojourn time of each packet in L's device queue, from its Enqueue and
// Dequeue traces), and Jain's index over the flows' goodputs.

#include "common.h"

#include "ns3/applications-module.h"

#include <cstdio>
#include <deque>
#include <map>
#include <sstream>
#include <vector>

using namespace ns3;
using namespace netsimcmp;

namespace
{

// Sojourn times of L's bottleneck queue (a FIFO: the dequeued packet is the
// oldest enqueued).
std::deque<Time> g_enqueued;
double g_sojournSum = 0;
uint64_t g_sojournCount = 0;

// Per sending socket: the highest sequence number sent so far, and how many
// segments went out below it (retransmissions).
std::map<const TcpSocketBase*, std::pair<SequenceNumber32, uint64_t>> g_sent;

// Per sender node: how many times ssthresh was set (window reductions).
std::map<uint32_t, uint64_t> g_reductions;

// Bottleneck drops in the first 5 s (slow start's overshoot) and after.
uint64_t g_dropsEarly = 0;

void
OnTx(Ptr<const Packet> p, const TcpHeader& h, Ptr<const TcpSocketBase> s)
{
    if (p->GetSize() == 0)
    {
        return;
    }
    auto it = g_sent.find(PeekPointer(s));
    SequenceNumber32 end = h.GetSequenceNumber() + p->GetSize();
    if (it == g_sent.end())
    {
        g_sent[PeekPointer(s)] = {end, 0};
        return;
    }
    if (h.GetSequenceNumber() < it->second.first)
    {
        it->second.second++;
    }
    if (end > it->second.first)
    {
        it->second.first = end;
    }
}

} // namespace

int
main(int argc, char* argv[])
{
    std::string ccs = "TcpNewReno";
    double duration = 60.0;
    bool hystart = false;
    uint32_t stepK = 0;
    CommandLine cmd(__FILE__);
    cmd.AddValue("ccs", "comma-separated ns-3 congestion controls, one flow each", ccs);
    cmd.AddValue("duration", "simulated seconds", duration);
    cmd.AddValue("hystart", "TcpCubic's HyStart (netsim has none)", hystart);
    cmd.AddValue("step_k", "ECN step marking at K waiting packets (0: drop-tail)", stepK);
    cmd.Parse(argc, argv);

    std::vector<std::string> names;
    std::stringstream list(ccs);
    for (std::string item; std::getline(list, item, ',');)
    {
        names.push_back(item);
    }
    uint32_t n = names.size();

    ConfigureTcpLikeNetsim();
    Config::SetDefault("ns3::TcpSocketBase::Sack", BooleanValue(true));
    Config::SetDefault("ns3::TcpCubic::HyStart", BooleanValue(hystart));
    if (stepK > 0)
    {
        Config::SetDefault("ns3::TcpSocketBase::UseEcn", StringValue("On"));
    }

    Ptr<Node> left = CreateObject<Node>();
    Ptr<Node> right = CreateObject<Node>();
    NodeContainer senders;
    NodeContainer receivers;
    senders.Create(n);
    receivers.Create(n);
    InternetStackHelper stack;
    Ipv4StaticRoutingHelper staticHelper;
    stack.SetRoutingHelper(staticHelper);
    stack.Install(left);
    stack.Install(right);
    stack.Install(senders);
    stack.Install(receivers);

    NetDeviceContainer core = Link(left, right, "10Mbps", "20ms", stepK > 0 ? 1 : 100);
    Ipv4AddressHelper coreAddr("10.0.0.0", "255.255.255.252");
    Ipv4InterfaceContainer coreIf = coreAddr.Assign(core);
    RemoveQdiscs(core);
    static uint64_t s_marks = 0;
    static uint64_t s_qdiscDrops = 0;
    if (stepK > 0)
    {
        TrafficControlHelper step;
        step.SetRootQueueDisc("ns3::RedQueueDisc",
                              "MaxSize",
                              QueueSizeValue(QueueSize("100p")),
                              "MinTh",
                              DoubleValue(stepK),
                              "MaxTh",
                              DoubleValue(stepK),
                              "QW",
                              DoubleValue(1.0),
                              "UseEcn",
                              BooleanValue(true),
                              "UseHardDrop",
                              BooleanValue(false),
                              "Gentle",
                              BooleanValue(false),
                              "LinkBandwidth",
                              StringValue("10Mbps"),
                              "LinkDelay",
                              StringValue("20ms"));
        Ptr<QueueDisc> red = step.Install(core.Get(0)).Get(0);
        TrafficControlHelper fifo;
        fifo.SetRootQueueDisc("ns3::FifoQueueDisc", "MaxSize", QueueSizeValue(QueueSize("100p")));
        fifo.Install(core.Get(1));
        red->TraceConnectWithoutContext("Enqueue",
                                        MakeCallback(+[](Ptr<const QueueDiscItem>) {
                                            g_enqueued.push_back(Simulator::Now());
                                        }));
        red->TraceConnectWithoutContext("Dequeue",
                                        MakeCallback(+[](Ptr<const QueueDiscItem>) {
                                            g_sojournSum +=
                                                (Simulator::Now() - g_enqueued.front())
                                                    .GetSeconds();
                                            g_enqueued.pop_front();
                                            g_sojournCount++;
                                        }));
        red->TraceConnectWithoutContext(
            "Mark",
            MakeCallback(+[](Ptr<const QueueDiscItem>, const char*) { ++s_marks; }));
        red->TraceConnectWithoutContext(
            "Drop",
            MakeCallback(+[](Ptr<const QueueDiscItem>) {
                ++s_qdiscDrops;
                // A dropped packet leaves the FIFO from its tail (it never joined).
                g_enqueued.pop_back();
            }));
    }
    else
    {
        Ptr<Queue<Packet>> bottleneck =
            DynamicCast<PointToPointNetDevice>(core.Get(0))->GetQueue();
        bottleneck->TraceConnectWithoutContext(
            "Enqueue",
            MakeCallback(+[](Ptr<const Packet>) { g_enqueued.push_back(Simulator::Now()); }));
        bottleneck->TraceConnectWithoutContext("Dequeue", MakeCallback(+[](Ptr<const Packet>) {
                                                   g_sojournSum +=
                                                       (Simulator::Now() - g_enqueued.front())
                                                           .GetSeconds();
                                                   g_enqueued.pop_front();
                                                   g_sojournCount++;
                                               }));
    }

    Ipv4AddressHelper sendAddr("10.1.0.0", "255.255.255.252");
    Ipv4AddressHelper recvAddr("10.2.0.0", "255.255.255.252");
    std::vector<Ipv4Address> sinkAddress(n);
    for (uint32_t i = 0; i < n; ++i)
    {
        TypeId tid = TypeId::LookupByName("ns3::" + names[i]);
        senders.Get(i)->GetObject<TcpL4Protocol>()->SetAttribute("SocketType", TypeIdValue(tid));
        receivers.Get(i)->GetObject<TcpL4Protocol>()->SetAttribute("SocketType",
                                                                  TypeIdValue(tid));
        NetDeviceContainer up = Link(senders.Get(i), left, "100Mbps", "1ms");
        NetDeviceContainer down = Link(receivers.Get(i), right, "100Mbps", "1ms");
        Ipv4InterfaceContainer upIf = sendAddr.Assign(up);
        Ipv4InterfaceContainer downIf = recvAddr.Assign(down);
        sendAddr.NewNetwork();
        recvAddr.NewNetwork();
        RemoveQdiscs(up);
        RemoveQdiscs(down);
        staticHelper.GetStaticRouting(senders.Get(i)->GetObject<Ipv4>())
            ->SetDefaultRoute(upIf.GetAddress(1), 1);
        staticHelper.GetStaticRouting(receivers.Get(i)->GetObject<Ipv4>())
            ->SetDefaultRoute(downIf.GetAddress(1), 1);
        sinkAddress[i] = downIf.GetAddress(0);
    }
    staticHelper.GetStaticRouting(left->GetObject<Ipv4>())
        ->AddNetworkRouteTo("10.2.0.0", "255.255.0.0", coreIf.GetAddress(1), 1);
    staticHelper.GetStaticRouting(right->GetObject<Ipv4>())
        ->AddNetworkRouteTo("10.1.0.0", "255.255.0.0", coreIf.GetAddress(0), 1);
    uint64_t drops = 0;
    CountQueueDrops(left, &drops);
    left->GetObject<TrafficControlLayer>()->TraceConnectWithoutContext(
        "TcDrop",
        MakeCallback(+[](Ptr<const Packet>) { g_dropsEarly += Simulator::Now() < Seconds(5); }));

    std::vector<Ptr<PacketSink>> sinks;
    for (uint32_t i = 0; i < n; ++i)
    {
        PacketSinkHelper sinkHelper("ns3::TcpSocketFactory",
                                    InetSocketAddress(Ipv4Address::GetAny(), 80));
        ApplicationContainer sinkApp = sinkHelper.Install(receivers.Get(i));
        sinkApp.Start(Seconds(0));
        sinks.push_back(DynamicCast<PacketSink>(sinkApp.Get(0)));
        BulkSendHelper bulk("ns3::TcpSocketFactory", InetSocketAddress(sinkAddress[i], 80));
        bulk.SetAttribute("MaxBytes", UintegerValue(0));
        bulk.SetAttribute("SendSize", UintegerValue(1448));
        bulk.Install(senders.Get(i)).Start(Seconds(0));
    }
    // The senders' sockets exist once their applications started.
    Simulator::Schedule(MilliSeconds(1), [&senders, n]() {
        for (uint32_t i = 0; i < n; ++i)
        {
            std::ostringstream path;
            path << "/NodeList/" << senders.Get(i)->GetId()
                 << "/$ns3::TcpL4Protocol/SocketList/*/Tx";
            Config::ConnectWithoutContext(path.str(), MakeCallback(&OnTx));
            std::ostringstream ss;
            ss << "/NodeList/" << senders.Get(i)->GetId()
               << "/$ns3::TcpL4Protocol/SocketList/*/SlowStartThreshold";
            Config::ConnectWithoutContext(
                ss.str(),
                MakeBoundCallback(+[](uint32_t node, uint32_t, uint32_t) { g_reductions[node]++; },
                                  senders.Get(i)->GetId()));
        }
    });

    Simulator::Stop(Seconds(duration));
    Simulator::Run();

    double sum = 0;
    double squares = 0;
    for (uint32_t i = 0; i < n; ++i)
    {
        uint64_t rx = sinks[i]->GetTotalRx();
        double mbps = double(rx) * 8.0 / duration / 1e6;
        sum += mbps;
        squares += mbps * mbps;
        uint64_t rtx = 0;
        for (auto& [sock, v] : g_sent)
        {
            if (sock->GetNode() == senders.Get(i))
            {
                rtx += v.second;
            }
        }
        std::printf("FLOW %u cc=%s rx_bytes=%llu goodput_mbps=%.3f retransmissions=%llu "
                    "reductions=%llu\n",
                    i,
                    names[i].c_str(),
                    (unsigned long long)rx,
                    mbps,
                    (unsigned long long)rtx,
                    (unsigned long long)g_reductions[senders.Get(i)->GetId()]);
    }
    std::printf("RESULT sim=ns-3 scenario=algorithms ccs=%s drops=%llu drops_first_5s=%llu "
                "ecn_marks=%llu mean_queue_delay_ms=%.2f jain=%.3f\n",
                ccs.c_str(),
                (unsigned long long)(drops + s_qdiscDrops),
                (unsigned long long)g_dropsEarly,
                (unsigned long long)s_marks,
                g_sojournCount ? g_sojournSum / g_sojournCount * 1e3 : 0.0,
                sum * sum / (n * squares));
    Simulator::Destroy();
    return 0;
}
