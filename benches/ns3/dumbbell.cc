// ns-3 twin of netsim's benchmark dumbbell (src/bench.rs `dumbbell_scenario`):
// N senders s0.. on router L, N receivers d0.. on router R, access links
// 100 Mbps / 1 ms, bottleneck L-R 10 Mbps / 20 ms, every link direction a
// 100-packet drop-tail queue; flow i is an unlimited bulk TCP transfer si -> di:80
// from t = 0 for 60 simulated seconds.
//
//   dumbbell --n=N [--duration=60] [--perflow] [--trace=FILE]
//
// --trace=FILE writes one line per event, `SECONDS KIND ...`:
//   Q q                     packets waiting in L->R's device queue after a change
//   D uid seq len flags     a packet L dropped (full L->R queue); uid as in X
//   X i seq len flags uid   sender s_i transmits (seq relative: ns-3's ISN is 0)
//   C i cwnd / S i ssthresh sender s_i's CongestionWindow / SlowStartThreshold
//   G i from to             sender s_i's CongState (0 open, 1 disorder, 2 cwr,
//                           3 recovery, 4 loss); re-entering loss is not traced,
//                           cwnd falling to 1 segment shows it
// The sender traces are connected at 1 ms (once the sockets exist).
//
// Prints one line `RESULT key=value ...` (and `FLOW i rx_bytes=...` per flow with
// --perflow). Wall-clock figures are measured with std::chrono around the setup
// and around Simulator::Run.

#include "common.h"

#include "ns3/applications-module.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <vector>

using namespace ns3;
using namespace netsimcmp;

// --trace: one line per event, `seconds kind ...` (see the option's help).
static std::FILE* s_trace = nullptr;

template <typename... A>
static void
TraceLine(const char* fmt, A... a)
{
    std::fprintf(s_trace, "%.9f ", Simulator::Now().GetSeconds());
    std::fprintf(s_trace, fmt, a...);
    std::fputc('\n', s_trace);
}

static void
TraceDrop(Ptr<const Packet> p)
{
    // The packet's uid is the one the sender's Tx line printed.
    Ptr<Packet> c = p->Copy();
    Ipv4Header ip;
    TcpHeader tcp;
    c->RemoveHeader(ip);
    c->RemoveHeader(tcp);
    TraceLine("D %llu %u %u %u", (unsigned long long)p->GetUid(),
              tcp.GetSequenceNumber().GetValue(), c->GetSize(), unsigned(tcp.GetFlags()));
}

int
main(int argc, char* argv[])
{
    uint32_t n = 1;
    double duration = 60.0;
    bool perflow = false;
    double staggerUs = 0.0;
    bool sack = false;
    double loss = 0.0;
    uint32_t seed = 1;
    std::string tracePath;
    CommandLine cmd(__FILE__);
    cmd.AddValue("n", "number of sender/receiver pairs (flows)", n);
    cmd.AddValue("duration", "simulated seconds", duration);
    cmd.AddValue("perflow", "print one line per flow", perflow);
    cmd.AddValue("stagger_us", "flow i starts at i * stagger_us microseconds", staggerUs);
    cmd.AddValue("sack", "SACK on (RFC 6675-style classic recovery)", sack);
    cmd.AddValue("loss", "random loss on L->R arrivals (netsim's loss_forward)", loss);
    cmd.AddValue("seed", "ns-3 run number (RngSeedManager::SetRun)", seed);
    cmd.AddValue("trace",
                 "write L->R queue lengths, drops at L and the senders' cwnd, ssthresh, "
                 "congestion states and transmissions to this file",
                 tracePath);
    cmd.Parse(argc, argv);
    RngSeedManager::SetRun(seed);

    auto t0 = std::chrono::steady_clock::now();
    ConfigureTcpLikeNetsim();
    Config::SetDefault("ns3::TcpSocketBase::Sack", BooleanValue(sack));

    // Nodes in netsim's declaration order: L, R, then s_i, d_i.
    Ptr<Node> left = CreateObject<Node>();
    Ptr<Node> right = CreateObject<Node>();
    NodeContainer senders;
    NodeContainer receivers;
    for (uint32_t i = 0; i < n; ++i)
    {
        senders.Add(CreateObject<Node>());
        receivers.Add(CreateObject<Node>());
    }

    // Static routing only: hosts use a default route, each router one aggregate
    // route across the bottleneck (global routing would give all 2N+2 nodes a
    // routing table of every /30, which ns-3 searches linearly).
    InternetStackHelper stack;
    Ipv4StaticRoutingHelper staticHelper;
    stack.SetRoutingHelper(staticHelper);
    stack.Install(left);
    stack.Install(right);
    stack.Install(senders);
    stack.Install(receivers);

    NetDeviceContainer core = Link(left, right, "10Mbps", "20ms");
    Ipv4AddressHelper coreAddr("10.0.0.0", "255.255.255.252");
    Ipv4InterfaceContainer coreIf = coreAddr.Assign(core);
    RemoveQdiscs(core);
    if (loss > 0)
    {
        // Each packet arriving at R over the bottleneck is lost with probability
        // `loss`: the data direction only, as netsim's loss_forward.
        Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();
        em->SetAttribute("ErrorRate", DoubleValue(loss));
        em->SetAttribute("ErrorUnit", EnumValue(RateErrorModel::ERROR_UNIT_PACKET));
        core.Get(1)->SetAttribute("ReceiveErrorModel", PointerValue(em));
    }

    Ipv4AddressHelper sendAddr("10.1.0.0", "255.255.255.252");
    Ipv4AddressHelper recvAddr("10.2.0.0", "255.255.255.252");
    std::vector<Ipv4Address> sinkAddress(n);
    uint64_t accessDrops = 0;
    for (uint32_t i = 0; i < n; ++i)
    {
        NetDeviceContainer up = Link(senders.Get(i), left, "100Mbps", "1ms");
        NetDeviceContainer down = Link(receivers.Get(i), right, "100Mbps", "1ms");
        Ipv4InterfaceContainer upIf = sendAddr.Assign(up);
        Ipv4InterfaceContainer downIf = recvAddr.Assign(down);
        sendAddr.NewNetwork();
        recvAddr.NewNetwork();
        RemoveQdiscs(up);
        RemoveQdiscs(down);
        CountQueueDrops(senders.Get(i), &accessDrops);
        CountQueueDrops(receivers.Get(i), &accessDrops);
        staticHelper.GetStaticRouting(senders.Get(i)->GetObject<Ipv4>())
            ->SetDefaultRoute(upIf.GetAddress(1), 1);
        staticHelper.GetStaticRouting(receivers.Get(i)->GetObject<Ipv4>())
            ->SetDefaultRoute(downIf.GetAddress(1), 1);
        sinkAddress[i] = downIf.GetAddress(0);
    }
    // Interface 1 of each router is the bottleneck (created first).
    staticHelper.GetStaticRouting(left->GetObject<Ipv4>())
        ->AddNetworkRouteTo("10.2.0.0", "255.255.0.0", coreIf.GetAddress(1), 1);
    staticHelper.GetStaticRouting(right->GetObject<Ipv4>())
        ->AddNetworkRouteTo("10.1.0.0", "255.255.0.0", coreIf.GetAddress(0), 1);

    // Drops at router L (almost all on L->R, the bottleneck) and at R.
    uint64_t dropsL = 0;
    uint64_t dropsR = 0;
    CountQueueDrops(left, &dropsL);
    CountQueueDrops(right, &dropsR);
    if (!tracePath.empty())
    {
        s_trace = std::fopen(tracePath.c_str(), "w");
        NS_ABORT_MSG_UNLESS(s_trace, "cannot open " << tracePath);
        // `T Q q`: packets waiting in L->R's device queue after each change.
        Ptr<PointToPointNetDevice> lr = DynamicCast<PointToPointNetDevice>(core.Get(0));
        lr->GetQueue()->TraceConnectWithoutContext(
            "PacketsInQueue",
            MakeCallback(+[](uint32_t, uint32_t q) { TraceLine("Q %u", q); }));
        // `T D uid seq len flags`: a packet dropped at L (full L->R queue).
        left->GetObject<TrafficControlLayer>()->TraceConnectWithoutContext(
            "TcDrop", MakeCallback(&TraceDrop));
    }

    std::vector<Ptr<PacketSink>> sinks;
    for (uint32_t i = 0; i < n; ++i)
    {
        PacketSinkHelper sinkHelper("ns3::TcpSocketFactory",
                                    InetSocketAddress(Ipv4Address::GetAny(), 80));
        ApplicationContainer sinkApp = sinkHelper.Install(receivers.Get(i));
        sinkApp.Start(ns3::Seconds(0));
        sinks.push_back(DynamicCast<PacketSink>(sinkApp.Get(0)));

        BulkSendHelper bulk("ns3::TcpSocketFactory", InetSocketAddress(sinkAddress[i], 80));
        bulk.SetAttribute("MaxBytes", UintegerValue(0));
        bulk.SetAttribute("SendSize", UintegerValue(1448));
        ApplicationContainer src = bulk.Install(senders.Get(i));
        src.Start(ns3::MicroSeconds(static_cast<uint64_t>(i * staggerUs)));
    }

    // Retransmissions (segments sent below the highest sequence sent) and RTOs
    // (the congestion state entering CA_LOSS), over all senders.
    static std::map<const TcpSocketBase*, SequenceNumber32> s_high;
    static uint64_t s_rtx = 0;
    static uint64_t s_rtos = 0;
    Simulator::Schedule(ns3::MicroSeconds(static_cast<uint64_t>(n * staggerUs) + 1000), [n]() {
        for (uint32_t i = 0; i < n; ++i)
        {
            std::ostringstream base;
            base << "/NodeList/" << 2 + 2 * i << "/$ns3::TcpL4Protocol/SocketList/*/";
            Config::ConnectWithoutContext(
                base.str() + "Tx",
                MakeCallback(+[](Ptr<const Packet> p, const TcpHeader& h,
                                 Ptr<const TcpSocketBase> s) {
                    if (p->GetSize() == 0)
                    {
                        return;
                    }
                    SequenceNumber32 end = h.GetSequenceNumber() + p->GetSize();
                    auto it = s_high.find(PeekPointer(s));
                    if (it == s_high.end())
                    {
                        s_high[PeekPointer(s)] = end;
                        return;
                    }
                    if (h.GetSequenceNumber() < it->second)
                    {
                        ++s_rtx;
                    }
                    it->second = std::max(it->second, end);
                }));
            Config::ConnectWithoutContext(
                base.str() + "CongState",
                MakeCallback(+[](TcpSocketState::TcpCongState_t, TcpSocketState::TcpCongState_t to) {
                    s_rtos += to == TcpSocketState::CA_LOSS;
                }));
            if (s_trace)
            {
                // `T G i from to`, `T C i cwnd`, `T S i ssthresh`, `T X i seq len flags uid`.
                Config::ConnectWithoutContext(
                    base.str() + "CongState",
                    MakeBoundCallback(+[](uint32_t f,
                                          TcpSocketState::TcpCongState_t from,
                                          TcpSocketState::TcpCongState_t to) {
                        TraceLine("G %u %d %d", f, int(from), int(to));
                    }, i));
                Config::ConnectWithoutContext(
                    base.str() + "CongestionWindow",
                    MakeBoundCallback(+[](uint32_t f, uint32_t, uint32_t c) {
                        TraceLine("C %u %u", f, c);
                    }, i));
                Config::ConnectWithoutContext(
                    base.str() + "SlowStartThreshold",
                    MakeBoundCallback(+[](uint32_t f, uint32_t, uint32_t c) {
                        TraceLine("S %u %u", f, c);
                    }, i));
                Config::ConnectWithoutContext(
                    base.str() + "Tx",
                    MakeBoundCallback(+[](uint32_t f, Ptr<const Packet> p, const TcpHeader& h,
                                          Ptr<const TcpSocketBase>) {
                        TraceLine("X %u %u %u %u %llu", f, h.GetSequenceNumber().GetValue(),
                                  p->GetSize(), unsigned(h.GetFlags()),
                                  (unsigned long long)p->GetUid());
                    }, i));
            }
        }
    });

    Simulator::Stop(ns3::Seconds(duration));
    auto t1 = std::chrono::steady_clock::now();
    Simulator::Run();
    auto t2 = std::chrono::steady_clock::now();
    uint64_t events = Simulator::GetEventCount();

    uint64_t total = 0;
    uint64_t minRx = UINT64_MAX;
    uint64_t maxRx = 0;
    double sumSq = 0;
    for (uint32_t i = 0; i < n; ++i)
    {
        uint64_t rx = sinks[i]->GetTotalRx();
        total += rx;
        minRx = std::min(minRx, rx);
        maxRx = std::max(maxRx, rx);
        sumSq += double(rx) * double(rx);
        if (perflow)
        {
            std::printf("FLOW %u rx_bytes=%llu\n", i, (unsigned long long)rx);
        }
    }
    double goodput = double(total) * 8.0 / duration;
    double jain = sumSq > 0 ? double(total) * double(total) / (double(n) * sumSq) : 0.0;
    std::printf("RESULT sim=ns-3 scenario=dumbbell n=%u duration_s=%g rx_bytes=%llu "
                "goodput_mbps=%.4f perflow_mean_mbps=%.5f perflow_min_mbps=%.5f "
                "perflow_max_mbps=%.5f jain=%.4f drops_at_L=%llu drops_at_R=%llu "
                "drops_at_hosts=%llu retransmissions=%llu rtos=%llu events=%llu setup_wall_s=%.3f "
                "run_wall_s=%.3f\n",
                n,
                duration,
                (unsigned long long)total,
                goodput / 1e6,
                goodput / 1e6 / n,
                double(minRx) * 8.0 / duration / 1e6,
                double(maxRx) * 8.0 / duration / 1e6,
                jain,
                (unsigned long long)dropsL,
                (unsigned long long)dropsR,
                (unsigned long long)accessDrops,
                (unsigned long long)s_rtx,
                (unsigned long long)s_rtos,
                (unsigned long long)events,
                WallSeconds(t0, t1),
                WallSeconds(t1, t2));
    Simulator::Destroy();
    if (s_trace)
    {
        std::fclose(s_trace);
    }
    return 0;
}
