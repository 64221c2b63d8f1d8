//! The protocol counters of a namespace (Linux's SNMP MIBs): what
//! /proc/net/snmp, /proc/net/netstat and /proc/net/snmp6 show, by Linux's
//! names and in its order. The inet layer counts with `Mib::add`; the
//! fixed facts (Forwarding, DefaultTTL, the TCP RTO bounds) are values.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, Ordering};

/// The groups of /proc/net/snmp, /proc/net/netstat and /proc/net/snmp6
/// with their fields (space-separated), in Linux's order.
const GROUPS: &[(&str, &str)] = &[
    (
        "Ip",
        concat!(
            "Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ",
            "ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests ",
            "OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails ",
            "FragOKs FragFails FragCreates OutTransmits",
        ),
    ),
    (
        "Icmp",
        concat!(
            "InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs ",
            "InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps ",
            "InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors ",
            "OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds ",
            "OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps ",
            "OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps",
        ),
    ),
    (
        "Tcp",
        concat!(
            "RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens ",
            "AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs ",
            "OutRsts InCsumErrors",
        ),
    ),
    (
        "Udp",
        concat!(
            "InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors ",
            "InCsumErrors IgnoredMulti MemErrors",
        ),
    ),
    (
        "UdpLite",
        concat!(
            "InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors ",
            "InCsumErrors IgnoredMulti MemErrors",
        ),
    ),
    (
        "TcpExt",
        concat!(
            "SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts ",
            "PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ",
            "ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab BeyondWindow ",
            "TSEcrRejected PAWSOldAck PAWSTimewait DelayedACKs DelayedACKLocked ",
            "DelayedACKLost ListenOverflows ListenDrops TCPHPHits TCPPureAcks ",
            "TCPHPAcks TCPRenoRecovery TCPSackRecovery TCPSACKReneging ",
            "TCPSACKReorder TCPRenoReorder TCPTSReorder TCPFullUndo TCPPartialUndo ",
            "TCPDSACKUndo TCPLossUndo TCPLostRetransmit TCPRenoFailures ",
            "TCPSackFailures TCPLossFailures TCPFastRetrans TCPSlowStartRetrans ",
            "TCPTimeouts TCPLossProbes TCPLossProbeRecovery TCPRenoRecoveryFail ",
            "TCPSackRecoveryFail TCPRcvCollapsed TCPBacklogCoalesce ",
            "TCPDSACKOldSent TCPDSACKOfoSent TCPDSACKRecv TCPDSACKOfoRecv ",
            "TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout ",
            "TCPAbortOnLinger TCPAbortFailed TCPMemoryPressures ",
            "TCPMemoryPressuresChrono TCPSACKDiscard TCPDSACKIgnoredOld ",
            "TCPDSACKIgnoredNoUndo TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected ",
            "TCPMD5Failure TCPSackShifted TCPSackMerged TCPSackShiftFallback ",
            "TCPBacklogDrop PFMemallocDrop TCPMinTTLDrop TCPDeferAcceptDrop ",
            "IPReversePathFilter TCPTimeWaitOverflow TCPReqQFullDoCookies ",
            "TCPReqQFullDrop TCPRetransFail TCPRcvCoalesce TCPOFOQueue TCPOFODrop ",
            "TCPOFOMerge TCPChallengeACK TCPSYNChallenge TCPFastOpenActive ",
            "TCPFastOpenActiveFail TCPFastOpenPassive TCPFastOpenPassiveFail ",
            "TCPFastOpenListenOverflow TCPFastOpenCookieReqd TCPFastOpenBlackhole ",
            "TCPSpuriousRtxHostQueues BusyPollRxPackets TCPAutoCorking ",
            "TCPFromZeroWindowAdv TCPToZeroWindowAdv TCPWantZeroWindowAdv ",
            "TCPSynRetrans TCPOrigDataSent TCPHystartTrainDetect ",
            "TCPHystartTrainCwnd TCPHystartDelayDetect TCPHystartDelayCwnd ",
            "TCPACKSkippedSynRecv TCPACKSkippedPAWS TCPACKSkippedSeq ",
            "TCPACKSkippedFinWait2 TCPACKSkippedTimeWait TCPACKSkippedChallenge ",
            "TCPWinProbe TCPKeepAlive TCPMTUPFail TCPMTUPSuccess TCPDelivered ",
            "TCPDeliveredCE TCPAckCompressed TCPZeroWindowDrop TCPRcvQDrop ",
            "TCPWqueueTooBig TCPFastOpenPassiveAltKey TcpTimeoutRehash ",
            "TcpDuplicateDataRehash TCPDSACKRecvSegs TCPDSACKIgnoredDubious ",
            "TCPMigrateReqSuccess TCPMigrateReqFailure TCPPLBRehash TCPAORequired ",
            "TCPAOBad TCPAOKeyNotFound TCPAOGood TCPAODroppedIcmps",
        ),
    ),
    (
        "IpExt",
        concat!(
            "InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts ",
            "OutBcastPkts InOctets OutOctets InMcastOctets OutMcastOctets ",
            "InBcastOctets OutBcastOctets InCsumErrors InNoECTPkts InECT1Pkts ",
            "InECT0Pkts InCEPkts ReasmOverlaps",
        ),
    ),
    (
        "snmp6",
        concat!(
            "Ip6InReceives Ip6InHdrErrors Ip6InTooBigErrors Ip6InNoRoutes ",
            "Ip6InAddrErrors Ip6InUnknownProtos Ip6InTruncatedPkts Ip6InDiscards ",
            "Ip6InDelivers Ip6OutForwDatagrams Ip6OutRequests Ip6OutDiscards ",
            "Ip6OutNoRoutes Ip6ReasmTimeout Ip6ReasmReqds Ip6ReasmOKs ",
            "Ip6ReasmFails Ip6FragOKs Ip6FragFails Ip6FragCreates Ip6InMcastPkts ",
            "Ip6OutMcastPkts Ip6InOctets Ip6OutOctets Ip6InMcastOctets ",
            "Ip6OutMcastOctets Ip6InBcastOctets Ip6OutBcastOctets Ip6InNoECTPkts ",
            "Ip6InECT1Pkts Ip6InECT0Pkts Ip6InCEPkts Ip6OutTransmits Icmp6InMsgs ",
            "Icmp6InErrors Icmp6OutMsgs Icmp6OutErrors Icmp6InCsumErrors ",
            "Icmp6OutRateLimitHost Icmp6InDestUnreachs Icmp6InPktTooBigs ",
            "Icmp6InTimeExcds Icmp6InParmProblems Icmp6InEchos Icmp6InEchoReplies ",
            "Icmp6InGroupMembQueries Icmp6InGroupMembResponses ",
            "Icmp6InGroupMembReductions Icmp6InRouterSolicits ",
            "Icmp6InRouterAdvertisements Icmp6InNeighborSolicits ",
            "Icmp6InNeighborAdvertisements Icmp6InRedirects Icmp6InMLDv2Reports ",
            "Icmp6OutDestUnreachs Icmp6OutPktTooBigs Icmp6OutTimeExcds ",
            "Icmp6OutParmProblems Icmp6OutEchos Icmp6OutEchoReplies ",
            "Icmp6OutGroupMembQueries Icmp6OutGroupMembResponses ",
            "Icmp6OutGroupMembReductions Icmp6OutRouterSolicits ",
            "Icmp6OutRouterAdvertisements Icmp6OutNeighborSolicits ",
            "Icmp6OutNeighborAdvertisements Icmp6OutRedirects Icmp6OutMLDv2Reports ",
            "Udp6InDatagrams Udp6NoPorts Udp6InErrors Udp6OutDatagrams ",
            "Udp6RcvbufErrors Udp6SndbufErrors Udp6InCsumErrors Udp6IgnoredMulti ",
            "Udp6MemErrors UdpLite6InDatagrams UdpLite6NoPorts UdpLite6InErrors ",
            "UdpLite6OutDatagrams UdpLite6RcvbufErrors UdpLite6SndbufErrors ",
            "UdpLite6InCsumErrors UdpLite6MemErrors",
        ),
    ),
];

/// The groups /proc/net/snmp shows, and /proc/net/netstat.
const SNMP: &[&str] = &["Ip", "Icmp", "Tcp", "Udp", "UdpLite"];
const NETSTAT: &[&str] = &["TcpExt", "IpExt"];

/// Values that are facts rather than counts.
const FIXED: &[(&str, &str, i64)] = &[
    ("Ip", "Forwarding", 2),
    ("Ip", "DefaultTTL", 64),
    ("Tcp", "RtoAlgorithm", 1),
    ("Tcp", "RtoMin", 200),
    ("Tcp", "RtoMax", 120_000),
    ("Tcp", "MaxConn", -1),
];

/// A namespace's counters.
pub(crate) struct Mib {
    values: Vec<Vec<AtomicI64>>,
}

impl Default for Mib {
    fn default() -> Self {
        let m = Mib {
            values: GROUPS
                .iter()
                .map(|(_, f)| f.split(' ').map(|_| AtomicI64::new(0)).collect())
                .collect(),
        };
        for &(g, f, v) in FIXED {
            if let Some(c) = m.counter(g, f) {
                c.store(v, Ordering::Relaxed);
            }
        }
        m
    }
}

impl Mib {
    fn counter(&self, group: &str, field: &str) -> Option<&AtomicI64> {
        let gi = GROUPS.iter().position(|(g, _)| *g == group)?;
        let fi = GROUPS[gi].1.split(' ').position(|f| f == field)?;
        self.values.get(gi)?.get(fi)
    }

    /// Adds `n` to counter `field` of `group` ("Tcp", "ActiveOpens"); a
    /// name Linux does not have is ignored (and fails the unit tests).
    #[expect(
        dead_code,
        reason = "the inet layer's API (issue 12), called once it lands"
    )]
    pub(crate) fn add(&self, group: &str, field: &str, n: i64) {
        debug_assert!(self.counter(group, field).is_some(), "{group}.{field}");
        if let Some(c) = self.counter(group, field) {
            c.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Sets the gauge `field` of `group` (Tcp CurrEstab) to `v`.
    pub(crate) fn set(&self, group: &str, field: &str, v: i64) {
        debug_assert!(self.counter(group, field).is_some(), "{group}.{field}");
        if let Some(c) = self.counter(group, field) {
            c.store(v, Ordering::Relaxed);
        }
    }

    /// Returns counter `field` of `group`.
    #[expect(
        dead_code,
        reason = "the inet layer's API (issue 12), called once it lands"
    )]
    pub(crate) fn get(&self, group: &str, field: &str) -> i64 {
        self.counter(group, field)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Returns the header and value lines of the groups `names`.
    fn table(&self, names: &[&str]) -> String {
        let mut s = String::new();
        for name in names {
            let Some(gi) = GROUPS.iter().position(|(g, _)| g == name) else {
                continue;
            };
            let vals: Vec<String> = self.values[gi]
                .iter()
                .map(|v| v.load(Ordering::Relaxed).to_string())
                .collect();
            let _ = writeln!(s, "{name}: {}", GROUPS[gi].1);
            let _ = writeln!(s, "{name}: {}", vals.join(" "));
        }
        s
    }

    /// Returns /proc/net/snmp.
    pub(crate) fn snmp(&self) -> String {
        self.table(SNMP)
    }

    /// Returns /proc/net/netstat.
    pub(crate) fn netstat(&self) -> String {
        self.table(NETSTAT)
    }

    /// Returns /proc/net/snmp6: one "name<tab>value" line per counter.
    pub(crate) fn snmp6(&self) -> String {
        let mut s = String::new();
        let gi = GROUPS.iter().position(|(g, _)| *g == "snmp6").unwrap_or(0);
        for (f, v) in GROUPS[gi].1.split(' ').zip(&self.values[gi]) {
            let _ = writeln!(s, "{f:<32}\t{}", v.load(Ordering::Relaxed));
        }
        s
    }
}
