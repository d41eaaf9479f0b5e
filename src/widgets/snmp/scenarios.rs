//! The stories the SNMP widget tells, PDU by PDU: each scenario writes its steps through a `Writer`
//! that keeps the agent's MIB, the clock (sysUpTime moves with it) and the request-ids.

use super::mib::{self, Mib, Object, Oid, Syntax};
use super::model::*;
use super::{Params, Scenario};

/// sysUpTime when every scenario starts: one day, in hundredths of a second.
pub const UPTIME_START: u64 = 8_640_000;
/// The first request-id the manager uses.
const FIRST_REQUEST_ID: u32 = 1001;
/// The eth0 row of ifTable, the interface that is polled and goes down.
pub const ETH0: u32 = 2;
/// Polls after the first: four intervals, four rates.
pub const POLL_INTERVALS: usize = 4;
/// Traffic in each interval as a percentage of full load, so the four rates differ.
pub const LOAD_PERCENT: [u64; POLL_INTERVALS] = [100, 60, 100, 30];
/// The variables of the GetBulk scenario's request: sysUpTime, ifDescr, ifInOctets (the first
/// `non_repeaters` are fetched once, the others `max_repetitions` times).
pub fn bulk_request() -> [Oid; 3] {
    [
        vec![1, 3, 6, 1, 2, 1, 1, 3],
        mib::if_cell(2, 0)[..10].to_vec(),
        mib::if_cell(mib::IF_IN_OCTETS, 0)[..10].to_vec(),
    ]
}

/// Runs the scenario in `p`.
pub fn simulate(p: &Params) -> Run {
    let mut w = Writer {
        mib: Mib::agent(p.interfaces, UPTIME_START),
        steps: Vec::new(),
        t: 0,
        next_id: FIRST_REQUEST_ID,
    };
    let start = w.mib.clone();
    let outcome = match p.scenario {
        Scenario::Get => get(&mut w),
        Scenario::WalkSystem => walk(&mut w, mib::SYSTEM, "system"),
        Scenario::WalkIftable => walk(&mut w, mib::IF_TABLE, "ifTable"),
        Scenario::Bulk => bulk(&mut w, p.non_repeaters, p.max_repetitions),
        Scenario::Set => set(&mut w),
        Scenario::Trap => notify(&mut w, Pdu::Trap, p.lost),
        Scenario::Inform => notify(&mut w, Pdu::InformRequest, p.lost),
        Scenario::Poll => poll(&mut w, p),
    };
    Run {
        scenario: p.scenario,
        interfaces: p.interfaces,
        non_repeaters: p.non_repeaters,
        max_repetitions: p.max_repetitions,
        lost: p.lost,
        interval: p.interval,
        rate_mbps: p.rate_mbps,
        hc: p.hc,
        manager: MANAGER.0.to_owned(),
        agent: AGENT.0.to_owned(),
        mib: start
            .objects()
            .iter()
            .map(|o| MibRow {
                oid: mib::dotted(&o.oid),
                name: mib::symbol(&o.oid),
                syntax: o.syntax,
                value: o.value.clone(),
                access: if o.writable {
                    "read-write"
                } else {
                    "read-only"
                },
            })
            .collect(),
        steps: w.steps,
        outcome,
    }
}

/// A binding as a request carries it: the name and a Null value.
fn null(oid: &[u32]) -> VarBind {
    VarBind {
        oid: mib::dotted(oid),
        name: mib::symbol(oid),
        syntax: Syntax::Null,
        value: String::new(),
    }
}

fn bound(o: &Object) -> VarBind {
    VarBind {
        oid: mib::dotted(&o.oid),
        name: mib::symbol(&o.oid),
        syntax: o.syntax,
        value: o.value.clone(),
    }
}

fn exception(oid: &[u32], syntax: Syntax) -> VarBind {
    VarBind {
        syntax,
        ..null(oid)
    }
}

fn blank(kind: Kind, from: Role, time_ms: u64) -> Step {
    Step {
        kind,
        from,
        pdu: None,
        src_port: None,
        dst_port: None,
        community: None,
        request_id: None,
        non_repeaters: None,
        max_repetitions: None,
        error_status: None,
        error_index: None,
        varbinds: Vec::new(),
        lost: false,
        rate: None,
        time_ms,
        ask: Vec::new(),
        note: String::new(),
        explain: String::new(),
        source: String::new(),
    }
}

/// Collects steps; owns the clock and the agent.
struct Writer {
    mib: Mib,
    steps: Vec<Step>,
    t: u64,
    next_id: u32,
}

impl Writer {
    /// sysUpTime now (the agent's clock ticks in hundredths of a second).
    fn uptime(&self) -> u64 {
        UPTIME_START + self.t / 10
    }

    /// A request from the manager to UDP 161; returns its request-id.
    fn request(&mut self, pdu: Pdu, community: &'static str, varbinds: Vec<VarBind>) -> Step {
        let mut s = blank(Kind::Pdu, Role::Manager, self.t);
        s.pdu = Some(pdu);
        s.src_port = Some(MANAGER.1);
        s.dst_port = Some(AGENT_PORT);
        s.community = Some(community);
        s.request_id = Some(self.next_id);
        self.next_id += 1;
        s.varbinds = varbinds;
        s.ask = vec![Field::Port];
        s.source = "RFC 3416 §4.2; RFC 3417 §3.2".into();
        self.t += ONE_WAY_MS;
        s
    }

    /// The agent's Response to `req`.
    fn response(
        &mut self,
        req: &Step,
        status: ErrorStatus,
        index: u32,
        varbinds: Vec<VarBind>,
    ) -> Step {
        let mut s = blank(Kind::Pdu, Role::Agent, self.t);
        s.pdu = Some(Pdu::Response);
        s.src_port = req.dst_port;
        s.dst_port = req.src_port;
        s.community = req.community;
        s.request_id = req.request_id;
        s.error_status = Some(status);
        s.error_index = Some(index);
        s.varbinds = varbinds;
        s.ask = vec![Field::ErrorStatus, Field::Port];
        s.source = "RFC 3416 §4.2.4".into();
        self.t += ONE_WAY_MS;
        s
    }

    fn push(&mut self, step: Step) {
        self.steps.push(step);
    }

    fn refresh_uptime(&mut self) {
        let now = self.uptime();
        self.mib.set(mib::SYS_UPTIME_0, now.to_string());
    }
}

fn get(w: &mut Writer) -> String {
    let sys_name: Oid = vec![1, 3, 6, 1, 2, 1, 1, 5, 0];
    let mut req = w.request(
        Pdu::GetRequest,
        READ_COMMUNITY,
        vec![null(mib::SYS_UPTIME_0), null(&sys_name)],
    );
    req.note =
        "マネージャーが sysUpTime.0 と sysName.0 を GetRequest で尋ねる（宛先 UDP 161）".into();
    req.explain = format!(
        "GetRequest は、名前（OID）を指定してその値を読む PDU です。1 つの PDU に複数の variable binding を入れられ、値の欄は空（NULL）で送ります。エージェントは UDP 161 番で待ち受けています（RFC 3417 §3.2）。コミュニティ「{READ_COMMUNITY}」は v2c では暗号化されず平文で流れます。"
    );
    req.source = "RFC 3416 §4.2.1; RFC 3417 §3.2".into();
    w.push(req.clone());

    w.refresh_uptime();
    let values: Vec<VarBind> = [mib::SYS_UPTIME_0, sys_name.as_slice()]
        .iter()
        .filter_map(|oid| w.mib.get(oid).map(bound))
        .collect();
    let up = w.uptime();
    let mut res = w.response(&req, ErrorStatus::NoError, 0, values);
    res.note = format!("エージェントが Response で値を返す（sysUpTime.0 = {up}）");
    res.explain = format!(
        "Response は同じ request-id（{}）を付けて、要求の送信元ポートへ返ります。sysUpTime は TimeTicks 型で 1/100 秒単位なので、{up} は {} 秒です（エージェントの管理部分が起動してからの時間）。値が読めたので error-status は noError、error-index は 0 です。",
        req.request_id.unwrap_or_default(),
        up / 100
    );
    res.source = "RFC 3416 §4.2.1, §4.2.4; RFC 3418".into();
    w.push(res);

    let sys_descr: Oid = vec![1, 3, 6, 1, 2, 1, 1, 1];
    let mut req2 = w.request(Pdu::GetRequest, READ_COMMUNITY, vec![null(&sys_descr)]);
    req2.note = "続けて sysDescr を「.0」を付けずに GetRequest で尋ねる".into();
    req2.explain = "sysDescr（1.3.6.1.2.1.1.1）はオブジェクトの種類の名前で、値を持つインスタンスは sysDescr.0 です。スカラーのオブジェクトは、インスタンスの名前の最後に .0 が付きます。".into();
    req2.source = "RFC 3416 §4.2.1; RFC 2578 §7.7".into();
    w.push(req2.clone());
    let mut res2 = w.response(
        &req2,
        ErrorStatus::NoError,
        0,
        vec![exception(&sys_descr, Syntax::NoSuchInstance)],
    );
    res2.note = "Response の値は noSuchInstance（error-status は noError のまま）".into();
    res2.explain = "GetRequest では名前がインスタンスに完全に一致しなければ値は読めません。sysDescr という種類は存在するのでインスタンスがないという意味の noSuchInstance が値の欄に入ります（種類も存在しなければ noSuchObject）。v2c ではこうした例外は variable binding の値で知らせ、PDU 全体の error-status は noError のままです。Linux の snmpget(1) は「No Such Instance currently exists at this OID」と表示します。".into();
    res2.source = "RFC 3416 §4.2.1; snmpget(1)".into();
    w.push(res2);
    "GetRequest はインスタンスの名前（sysUpTime.0 など）を完全に指定して読みます。「.0」を忘れると値の代わりに noSuchInstance が返ります。".into()
}

fn walk(w: &mut Writer, root: &[u32], root_name: &str) -> String {
    let mut cur: Oid = root.to_vec();
    let mut found = 0;
    loop {
        let mut req = w.request(Pdu::GetNextRequest, READ_COMMUNITY, vec![null(&cur)]);
        req.note = format!("GetNextRequest {}", mib::symbol(&cur));
        req.explain = if found == 0 {
            format!(
                "walk は GetNextRequest の繰り返しです。最初は部分木の根 {root_name}（{}）そのものを送ります。GetNext は「この OID の次にあるインスタンス」を尋ねるので、インスタンスでない OID を送ってもかまいません。",
                mib::dotted(root)
            )
        } else {
            format!(
                "直前の Response で返った OID {} をそのまま次の GetNextRequest に入れます。マネージャーは MIB の中身を知らなくても、これを繰り返すだけで全部を読めます。",
                mib::symbol(&cur)
            )
        };
        req.source = "RFC 3416 §4.2.2".into();
        w.push(req.clone());
        w.refresh_uptime();
        let next = w.mib.next(&cur).cloned();
        let inside = next.as_ref().is_some_and(|o| o.oid.starts_with(root));
        let varbind = next
            .as_ref()
            .map_or_else(|| exception(&cur, Syntax::EndOfMibView), bound);
        let mut res = w.response(&req, ErrorStatus::NoError, 0, vec![varbind.clone()]);
        res.ask = vec![Field::Oid, Field::Port];
        res.source = "RFC 3416 §4.2.2".into();
        res.note = format!("Response {} = {}", varbind.name, varbind.value);
        res.explain = match &next {
            Some(o) if inside => {
                let mut text = format!(
                    "{} の次の OID を辞書順で探すと {}（{}）です。OID は数字を 1 つずつ比べて並べます。",
                    mib::symbol(&cur),
                    mib::symbol(&o.oid),
                    mib::dotted(&o.oid)
                );
                if root == mib::IF_TABLE {
                    text.push_str("ifTable のセルは ifEntry.<列>.<ifIndex> という OID なので、辞書順にたどると 1 列（ある項目）を全インターフェース分読んでから次の列へ進みます。行ごとではなく列ごとです。");
                }
                text
            }
            Some(o) => format!(
                "{} の次は {}（{}）で、もう {root_name} の部分木の外です。GetNext はエージェントの MIB 全体で「次」を返すだけで、部分木の終わりを知らせません。",
                mib::symbol(&cur),
                mib::symbol(&o.oid),
                mib::dotted(&o.oid)
            ),
            None => {
                "これより後ろにオブジェクトがないので、値の欄に endOfMibView が入ります。".into()
            }
        };
        w.push(res);
        match next {
            Some(o) if inside => {
                found += 1;
                cur = o.oid;
            }
            _ => break,
        }
    }
    let requests = found + 1;
    let mut end = blank(Kind::Event, Role::Manager, w.t);
    end.note = format!("マネージャーは {root_name} の外に出たので walk を終える");
    end.explain = format!(
        "RFC では GetNext は次のインスタンスを返すことだけが決まっていて、walk の終わりは決めていません（RFC 3416 §4.2.2）。Linux の snmpwalk(1) は、返った OID が指定した部分木（{root_name}）の外に出たらその値を表示せずに止まります。{found} 個のオブジェクトを読むのに GetNextRequest を {requests} 回送りました（最後の 1 回は外に出たことを確かめる分）。"
    );
    end.source = "RFC 3416 §4.2.2; snmpwalk(1)".into();
    w.push(end);
    format!(
        "{root_name} の {found} 個のインスタンスを GetNextRequest {requests} 回で読みました（最後の 1 回は部分木の外に出たことを確かめる分）。"
    )
}

fn bulk(w: &mut Writer, non_repeaters: u32, max_repetitions: u32) -> String {
    let request = bulk_request();
    let mut req = w.request(
        Pdu::GetBulkRequest,
        READ_COMMUNITY,
        request.iter().map(|o| null(o)).collect(),
    );
    let n = non_repeaters.min(3) as usize;
    let r = request.len() - n;
    let m = max_repetitions as usize;
    req.non_repeaters = Some(non_repeaters);
    req.max_repetitions = Some(max_repetitions);
    req.note = format!("GetBulkRequest（non-repeaters = {n}, max-repetitions = {m}）");
    req.explain = format!(
        "GetBulk は GetNext をまとめて 1 往復にしたものです。並べた変数のうち最初の non-repeaters 個（N = {n}）は GetNext を 1 回だけ、残りの R = {r} 個は max-repetitions（M = {m}）回続けて GetNext します。net-snmp の snmpbulkget(1) の -Cn と -Cr がこの 2 つです。"
    );
    req.source = "RFC 3416 §4.2.3; snmpbulkget(1)".into();
    w.push(req.clone());
    w.refresh_uptime();
    let next = |mib: &Mib, oid: &[u32]| -> (Oid, VarBind) {
        match mib.next(oid) {
            Some(o) => (o.oid.clone(), bound(o)),
            None => (oid.to_vec(), exception(oid, Syntax::EndOfMibView)),
        }
    };
    let mut varbinds: Vec<VarBind> = request[..n].iter().map(|o| next(&w.mib, o).1).collect();
    let mut cursors: Vec<Oid> = request[n..].to_vec();
    let mut ends = 0;
    for _ in 0..m {
        for c in cursors.iter_mut() {
            let (oid, vb) = next(&w.mib, c);
            if vb.syntax == Syntax::EndOfMibView {
                ends += 1;
            }
            *c = oid;
            varbinds.push(vb);
        }
    }
    let count = varbinds.len();
    let mut res = w.response(&req, ErrorStatus::NoError, 0, varbinds);
    res.ask = vec![Field::Count, Field::Port];
    res.note = format!("Response に variable binding が {count} 個（N + M × R = {n} + {m} × {r}）");
    res.explain = format!(
        "Response の variable binding は最大で N + M × R = {n} + {m} × {r} = {count} 個です。繰り返し分は「1 回目の R 個、2 回目の R 個…」の順に並びます。繰り返しは列の終わりで止まらないので、ifDescr の列を読み終えた後は次の列の値まで返ってきます（この図解のエージェントでは ifAdminStatus。実機の Linux の ifTable には間に ifType などの列があるので、net-snmp ではその値でした）。どこで表を読み終えたかはマネージャーが OID を見て判断します。{}",
        if ends > 0 {
            format!("MIB の最後を越えた {ends} 個は値が endOfMibView です。")
        } else {
            String::new()
        }
    );
    res.source = "RFC 3416 §4.2.3".into();
    w.push(res);
    // GetNext could carry the non-repeaters in its first request, so it needs one trip per repetition.
    let trips = if r == 0 || m == 0 {
        usize::from(n > 0)
    } else {
        m
    };
    format!(
        "GetBulk 1 往復で {count} 個（N + M × R）の値が返りました。同じ値を GetNext で読むと {trips} 往復かかります。"
    )
}

fn set(w: &mut Writer) -> String {
    let location: Oid = vec![1, 3, 6, 1, 2, 1, 1, 6, 0];
    let new_value = "\"大阪 DC 2F\"".to_string();
    let with_value = |oid: &[u32], syntax: Syntax, value: &str| VarBind {
        syntax,
        value: value.to_owned(),
        ..null(oid)
    };
    let vb = with_value(&location, Syntax::OctetString, &new_value);

    let mut req = w.request(Pdu::SetRequest, READ_COMMUNITY, vec![vb.clone()]);
    req.note = format!("SetRequest sysLocation.0 = {new_value}（コミュニティ {READ_COMMUNITY}）");
    req.explain = format!(
        "SetRequest は値を書き換える PDU です。まず読み取り専用のコミュニティ「{READ_COMMUNITY}」で送ってみます。"
    );
    req.source = "RFC 3416 §4.2.5".into();
    w.push(req.clone());
    let mut res = w.response(&req, ErrorStatus::NoAccess, 1, vec![vb.clone()]);
    res.note = "Response error-status = noAccess, error-index = 1".into();
    res.explain = format!(
        "「{READ_COMMUNITY}」は読み取り専用で、書き込みのための MIB ビューに sysLocation.0 が入っていません。ビューの外への書き込みは noAccess になり、error-index は失敗した variable binding の番号（1 から数える）です。エラーの Response は要求と同じ variable binding をそのまま返し、値は変わりません。v2c のコミュニティがどのビューに対応するかは VACM で決めます（RFC 3415）。"
    );
    res.source = "RFC 3416 §4.2.5; RFC 3415".into();
    w.push(res);

    let mut req2 = w.request(Pdu::SetRequest, WRITE_COMMUNITY, vec![vb.clone()]);
    req2.note = format!("同じ SetRequest を書き込み可のコミュニティ {WRITE_COMMUNITY} で送る");
    req2.explain = format!(
        "今度は書き込みが許されたコミュニティ「{WRITE_COMMUNITY}」です。コミュニティ文字列は平文で流れるので、盗み見られれば誰でも書き込めてしまいます。これが v3 の USM（認証と暗号化）が必要な理由です。"
    );
    req2.source = "RFC 3416 §4.2.5; RFC 3414".into();
    w.push(req2.clone());
    w.mib.set(&location, new_value.clone());
    let mut res2 = w.response(&req2, ErrorStatus::NoError, 0, vec![vb.clone()]);
    res2.note = "Response noError: sysLocation.0 が書き換わる".into();
    res2.explain = "sysLocation は MIB で read-write のオブジェクトで、このコミュニティのビューにも入っているので書き込めます。成功した Response は新しい値を返します。".into();
    res2.source = "RFC 3416 §4.2.5; RFC 3418".into();
    w.push(res2);

    let uptime_vb = with_value(mib::SYS_UPTIME_0, Syntax::TimeTicks, "0");
    let mut req3 = w.request(Pdu::SetRequest, WRITE_COMMUNITY, vec![uptime_vb.clone()]);
    req3.note = format!("SetRequest sysUpTime.0 = 0（コミュニティ {WRITE_COMMUNITY}）");
    req3.explain = "書き込み可のコミュニティで、今度は sysUpTime.0 を 0 にしようとします。".into();
    req3.source = "RFC 3416 §4.2.5".into();
    w.push(req3.clone());
    let mut res3 = w.response(&req3, ErrorStatus::NotWritable, 1, vec![uptime_vb]);
    res3.note = "Response error-status = notWritable, error-index = 1".into();
    res3.explain = "アクセスは許されていても、sysUpTime は MIB で read-only のオブジェクトなので誰も書き込めません。コミュニティの権限が足りない noAccess とは違い、オブジェクトの側が書き込めないことを示す notWritable が返ります。".into();
    res3.source = "RFC 3416 §4.2.5; RFC 3418".into();
    w.push(res3);

    let mut req4 = w.request(Pdu::GetRequest, READ_COMMUNITY, vec![null(&location)]);
    req4.note = format!("GetRequest sysLocation.0 で確かめる（コミュニティ {READ_COMMUNITY}）");
    req4.explain = "読むだけなら読み取り専用のコミュニティで足ります。".into();
    req4.source = "RFC 3416 §4.2.1".into();
    w.push(req4.clone());
    let current = w.mib.get(&location).map(bound).into_iter().collect();
    let mut res4 = w.response(&req4, ErrorStatus::NoError, 0, current);
    res4.note = format!("Response sysLocation.0 = {new_value}");
    res4.explain = format!(
        "書き込み可のコミュニティで送った 2 回目の SetRequest だけが効いて、値は {new_value} になっています。"
    );
    res4.source = "RFC 3416 §4.2.1".into();
    w.push(res4);
    format!(
        "読み取り専用のコミュニティでの SetRequest は noAccess、read-only のオブジェクトへの SetRequest は notWritable。書き込めたのは {WRITE_COMMUNITY} で sysLocation.0 に書いた 1 回だけです。"
    )
}

fn notify(w: &mut Writer, pdu: Pdu, lost: bool) -> String {
    let mut down = blank(Kind::Event, Role::Agent, w.t);
    down.note = "エージェントの eth0（ifIndex 2）がリンクダウンする".into();
    down.explain = "ケーブルが抜けるなどして eth0 の ifOperStatus が up(1) から down(2) に変わります。エージェントは、マネージャーに聞かれるのを待たずに自分から通知を送ります。".into();
    down.source = "RFC 2863 (linkDown)".into();
    w.push(down);
    w.mib
        .set(&mib::if_cell(mib::IF_OPER_STATUS, ETH0), "down(2)".into());
    w.t += 10;
    w.refresh_uptime();

    let mut varbinds: Vec<VarBind> = w
        .mib
        .get(mib::SYS_UPTIME_0)
        .map(bound)
        .into_iter()
        .collect();
    varbinds.push(VarBind {
        oid: mib::dotted(mib::SNMP_TRAP_OID_0),
        name: mib::symbol(mib::SNMP_TRAP_OID_0),
        syntax: Syntax::ObjectIdentifier,
        value: format!("{}（linkDown）", mib::dotted(mib::LINK_DOWN)),
    });
    for column in [1, mib::IF_ADMIN_STATUS, mib::IF_OPER_STATUS] {
        if let Some(o) = w.mib.get(&mib::if_cell(column, ETH0)) {
            varbinds.push(bound(o));
        }
    }
    let request_id = w.next_id + 4000;
    let trap = pdu == Pdu::Trap;
    let note = |w: &mut Writer, lost: bool, again: bool| {
        let mut s = blank(Kind::Pdu, Role::Agent, w.t);
        s.pdu = Some(pdu);
        s.src_port = Some(AGENT_NOTIFY_PORT);
        s.dst_port = Some(TRAP_PORT);
        s.community = Some(READ_COMMUNITY);
        s.request_id = Some(request_id);
        s.varbinds = varbinds.clone();
        s.lost = lost;
        s.ask = vec![Field::Acked, Field::Port];
        s.source = if trap {
            "RFC 3416 §4.2.6; RFC 3417 §3.2; RFC 2863".into()
        } else {
            "RFC 3416 §4.2.7; RFC 3417 §3.2; RFC 2863".into()
        };
        s.note = format!(
            "エージェントが {}{} をマネージャーの UDP 162 へ送る{}",
            if again { "もう一度 " } else { "" },
            pdu.as_str(),
            if lost {
                "（途中で失われる）"
            } else {
                ""
            }
        );
        s.explain = format!(
            "通知はエージェントからマネージャーへ、通知の受信側が待ち受ける UDP 162 番に送ります（リクエストの 161 番とは逆向き）。最初の variable binding は sysUpTime.0、2 番目は snmpTrapOID.0 で、値の {}（linkDown）が何の通知かを表します。その後に linkDown が定める ifIndex、ifAdminStatus、ifOperStatus が続きます。{}{}",
            mib::dotted(mib::LINK_DOWN),
            if trap {
                "SNMPv2-Trap には応答がありません。受け取った側は何も返さず、送った側は届いたかどうかを知りません。"
            } else {
                "InformRequest は確認付きの通知で、受け取ったマネージャーは Response を返します。"
            },
            if lost {
                "この datagram は UDP なので、失われても UDP 自身は何も知らせません。"
            } else {
                ""
            }
        );
        w.t += ONE_WAY_MS;
        s
    };
    let first = note(w, lost, false);
    w.push(first);

    if trap {
        let mut after = blank(
            Kind::Event,
            if lost { Role::Agent } else { Role::Manager },
            w.t,
        );
        if lost {
            after.note =
                "何も起きない: エージェントは再送せず、マネージャーはリンクダウンを知らないまま"
                    .into();
            after.explain = "Trap は送りっぱなしなので、失われても誰も気づきません。マネージャーが eth0 の異常を知るのは、次に ifOperStatus をポーリングしたときです。確実に届けたい通知には InformRequest を使います。".into();
            after.source = "RFC 3416 §4.2.6".into();
        } else {
            after.note = "マネージャーが Trap を受け取って記録する（Response は返さない）".into();
            after.explain = "マネージャー（Linux なら snmptrapd(8)）は UDP 162 番で受け取った Trap を記録します。Response は返さないので、エージェントは届いたことを知りません。".into();
            after.source = "RFC 3416 §4.2.6; snmptrapd(8)".into();
        }
        w.push(after);
        return if lost {
            "Trap は失われても再送されず、マネージャーはリンクダウンを知らないままです。".into()
        } else {
            "Trap は UDP 162 番へ送りっぱなしの通知で、Response は返りません。".into()
        };
    }

    if lost {
        let sent = w.steps.last().map_or(0, |s| s.time_ms);
        w.t = sent + INFORM_TIMEOUT_MS;
        let mut timeout = blank(Kind::Event, Role::Agent, w.t);
        timeout.note = format!(
            "{} 秒待っても Response が来ないので、エージェントが再送を決める",
            INFORM_TIMEOUT_MS / 1000
        );
        timeout.explain = "InformRequest を送った側は Response を待ち、決めた時間内に来なければ同じ通知をもう一度送ります（待ち時間と回数は送る側の設定です。net-snmp の snmpinform の既定は 1 秒で、実機の記録でも 1 秒後に同じ request-id で再送されました）。Trap にはこの仕組みがありません。".into();
        timeout.source = "RFC 3413 §3.3; RFC 3416 §4.2.7".into();
        w.push(timeout);
        w.refresh_uptime();
        let again = note(w, false, true);
        w.push(again);
    }
    let inform = w
        .steps
        .last()
        .cloned()
        .unwrap_or_else(|| blank(Kind::Pdu, Role::Agent, 0));
    let mut res = blank(Kind::Pdu, Role::Manager, w.t);
    res.pdu = Some(Pdu::Response);
    res.src_port = Some(TRAP_PORT);
    res.dst_port = Some(AGENT_NOTIFY_PORT);
    res.community = Some(READ_COMMUNITY);
    res.request_id = Some(request_id);
    res.error_status = Some(ErrorStatus::NoError);
    res.error_index = Some(0);
    res.varbinds = inform.varbinds;
    res.ask = vec![Field::Port, Field::ErrorStatus];
    res.note = format!(
        "マネージャーが Response を返す（宛先はエージェントの送信元ポート {AGENT_NOTIFY_PORT}）"
    );
    res.explain = format!(
        "Response は同じ request-id（{request_id}）と同じ variable binding を付けて、InformRequest の送信元ポートへ返ります。161 番でも 162 番でもなく、送ってきたポート {AGENT_NOTIFY_PORT} です。"
    );
    res.source = "RFC 3416 §4.2.7".into();
    w.t += ONE_WAY_MS;
    w.push(res);
    let mut done = blank(Kind::Event, Role::Agent, w.t);
    done.note = "エージェントは確認を受け取り、この通知の再送をやめる".into();
    done.explain = "request-id が一致する Response が届いたので、エージェントは通知が届いたことを知ります。Trap との違いはこの確認の有無です。".into();
    done.source = "RFC 3416 §4.2.7; RFC 3413 §3.3".into();
    w.push(done);
    if lost {
        "1 回目の InformRequest は失われましたが、Response が来ないので再送され、2 回目で確認されました。".into()
    } else {
        "InformRequest は Response で確認される通知です。".into()
    }
}

/// Whole seconds until a Counter32 of octets passes 2³² at `rate_mbps` Mbit/s: 2³² ÷ (rate × 10⁶ ÷ 8),
/// rounded down (34 s at 1 Gbit/s).
pub fn counter32_wrap_seconds(rate_mbps: u64) -> u64 {
    (1u64 << 32) / (rate_mbps.max(1) * 125_000)
}

/// The rate a manager computes from two samples of a `bits`-bit counter taken `seconds` apart, and
/// what really went through (`actual_octets`).
pub fn rate(bits: u32, previous: u64, current: u64, seconds: u64, actual_octets: u64) -> Rate {
    let modulus: u128 = 1u128 << bits;
    let delta = ((u128::from(current) + modulus - u128::from(previous)) % modulus) as u64;
    let seconds = seconds.max(1);
    Rate {
        counter_bits: bits,
        previous,
        current,
        delta,
        wrapped: current < previous,
        seconds,
        bits_per_second: delta.saturating_mul(8) / seconds,
        actual_bits_per_second: actual_octets.saturating_mul(8) / seconds,
        ambiguous: u128::from(actual_octets) >= modulus,
    }
}

fn poll(w: &mut Writer, p: &Params) -> String {
    let bits: u32 = if p.hc { 64 } else { 32 };
    let counter: Oid = if p.hc {
        let mut o = mib::IF_HC_IN_OCTETS.to_vec();
        o.push(ETH0);
        o
    } else {
        mib::if_cell(mib::IF_IN_OCTETS, ETH0)
    };
    let counter_name = mib::symbol(&counter);
    let mut octets = mib::start_in_octets(ETH0);
    let shown = |total: u64| {
        if bits == 64 {
            total
        } else {
            total & 0xFFFF_FFFF
        }
    };
    let interval = u64::from(p.interval);
    let mut last: Option<(u64, u64)> = None;
    let mut wrong = 0;
    for i in 0..=POLL_INTERVALS {
        w.t = i as u64 * interval * 1000;
        let mut moved = 0;
        if i > 0 {
            moved = u64::from(p.rate_mbps) * 1250 * interval * LOAD_PERCENT[i - 1];
            octets += moved;
        }
        let up = w.uptime();
        w.mib.set(mib::SYS_UPTIME_0, up.to_string());
        let value = shown(octets);
        let mut req = w.request(
            Pdu::GetRequest,
            READ_COMMUNITY,
            vec![null(mib::SYS_UPTIME_0), null(&counter)],
        );
        req.note = format!(
            "{} 回目のポーリング: GetRequest sysUpTime.0, {counter_name}",
            i + 1
        );
        req.explain = format!(
            "マネージャーは {} 秒ごとに同じ GetRequest を送ります。カウンタの値そのものには意味がなく、前回との差を経過時間で割って速さにします。経過時間はマネージャーの時計ではなく、同じ Response に入る sysUpTime の差で測るのが確実です。",
            p.interval
        );
        req.source = "RFC 3416 §4.2.1; RFC 2578 §7.1.6".into();
        w.push(req.clone());
        let varbinds = vec![
            VarBind {
                syntax: Syntax::TimeTicks,
                value: up.to_string(),
                ..null(mib::SYS_UPTIME_0)
            },
            VarBind {
                syntax: if bits == 64 {
                    Syntax::Counter64
                } else {
                    Syntax::Counter32
                },
                value: value.to_string(),
                ..null(&counter)
            },
        ];
        let mut res = w.response(&req, ErrorStatus::NoError, 0, varbinds);
        res.ask = vec![Field::Port];
        res.note = format!("Response sysUpTime.0 = {up}, {counter_name} = {value}");
        res.explain = format!(
            "{counter_name} は eth0 が受け取ったオクテット数を数える {} です。{}",
            if bits == 64 { "Counter64" } else { "Counter32" },
            if bits == 32 {
                "Counter32 は 2³² − 1 = 4294967295 の次に 0 へ戻ります（ラップ）。"
            } else {
                "Counter64 が 2⁶⁴ に達するのは、100 Gbit/s でも数十年先です。"
            }
        );
        res.source = if bits == 64 {
            "RFC 2863 §3.1.6; RFC 2578 §7.1.10"
        } else {
            "RFC 1213; RFC 2578 §7.1.6"
        }
        .into();
        w.push(res);
        if let Some((prev_up, prev_value)) = last {
            let r = rate(bits, prev_value, value, (up - prev_up) / 100, moved);
            if r.bits_per_second != r.actual_bits_per_second {
                wrong += 1;
            }
            let mut calc = blank(Kind::Event, Role::Manager, w.t);
            calc.rate = Some(r);
            calc.ask = vec![Field::Rate];
            calc.note = format!("マネージャーが計算: {} bit/s", r.bits_per_second);
            let mut text = format!(
                "経過時間は sysUpTime の差 ({up} − {prev_up}) ÷ 100 = {} 秒。増えたオクテット数は {value} − {prev_value}",
                r.seconds
            );
            if r.wrapped {
                text.push_str(&format!(
                    " で負になるのでカウンタが 1 周したと考えて 2^{bits} を足し、{}",
                    r.delta
                ));
            } else {
                text.push_str(&format!(" = {}", r.delta));
            }
            text.push_str(&format!(
                "。bits/s = 差 × 8 ÷ 秒 = {} × 8 ÷ {} = {}（小数点以下は切り捨て）。",
                r.delta, r.seconds, r.bits_per_second
            ));
            if r.ambiguous {
                text.push_str(&format!(
                    "ところが実際には {} bit/s 流れていて、この間にカウンタは 2 周以上しています。2 つの値からは何周したか分からないので、計算結果は間違いです。Counter32 は 1 Gbit/s なら約 {} 秒、この {} Mbit/s なら約 {} 秒で 1 周します。RFC 2863 §3.1.6 は 20 Mbit/s を超えるインターフェースに 64 ビットの ifHCInOctets を求めています。",
                    r.actual_bits_per_second,
                    counter32_wrap_seconds(1000),
                    p.rate_mbps,
                    counter32_wrap_seconds(u64::from(p.rate_mbps))
                ));
            } else if r.wrapped {
                text.push_str("1 周だけなら、この足し算で正しい値になります。");
            }
            calc.explain = text;
            calc.source = if r.ambiguous {
                "RFC 2578 §7.1.6; RFC 2863 §3.1.6".into()
            } else {
                "RFC 2578 §7.1.6, §7.1.10".into()
            };
            w.push(calc);
        }
        last = Some((up, value));
    }
    if wrong > 0 {
        format!(
            "{POLL_INTERVALS} 回の計算のうち {wrong} 回は、ポーリングの間に {counter_name} が 2 周以上して実際より小さな値になりました。"
        )
    } else {
        format!("{POLL_INTERVALS} 回の計算はすべて実際の速さと一致しました（{counter_name}）。")
    }
}
