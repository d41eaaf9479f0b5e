//! What a run of the PMTUD simulator is asked for — the filter in front of A, IPv4 or IPv6, MSS
//! clamping, PLPMTUD, the DF bit and the tunnel's MTU —, read from a query string; the named
//! scenarios (presets of those settings); and the name and Japanese label a setup is stored and
//! shown under.

use serde::Serialize;

use crate::widgets::{ParamError, query_bool, query_choice, query_u64, query_value};

/// Smallest tunnel MTU the simulator takes: IPv6's minimum link MTU (RFC 8200 §5), used for
/// IPv4 too so one range fits both.
pub const MIN_MTU: u16 = 1280;
/// Largest tunnel MTU the simulator takes: one byte under the Ethernet MTU, so there is always
/// something to discover.
pub const MAX_MTU: u16 = 1499;
/// The tunnel's MTU in facts.md W4.
pub const DEFAULT_MTU: u16 = 1400;

/// Which ICMP messages the firewall in front of A drops on their way in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Filter {
    /// Every ICMP message passes.
    None,
    /// Destination Unreachable (type 3, so also code 4); in IPv6 the matching error, Packet Too Big.
    Type3,
    /// Only Echo Request (type 8; ICMPv6 128): ping is refused, errors pass.
    Echo,
    /// Every ICMP message is dropped.
    All,
}

impl Filter {
    /// Every filter, in display order.
    pub const ALL: [Filter; 4] = [Filter::None, Filter::Type3, Filter::Echo, Filter::All];

    /// The name used in URLs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Filter::None => "none",
            Filter::Type3 => "type3",
            Filter::Echo => "echo",
            Filter::All => "all",
        }
    }

    /// The Japanese label for the picker.
    pub fn label(self) -> &'static str {
        match self {
            Filter::None => "ICMP を落とさない",
            Filter::Type3 => "ICMP type 3 を落とす（IPv6 では Packet Too Big）",
            Filter::Echo => "Echo Request だけを落とす",
            Filter::All => "ICMP をすべて落とす",
        }
    }

    /// Whether the "too big" error (IPv4 type 3 code 4, ICMPv6 type 2) is dropped.
    pub fn drops_too_big(self) -> bool {
        matches!(self, Filter::Type3 | Filter::All)
    }

    /// Whether an inbound Echo Request (ping) is dropped.
    pub fn drops_echo(self) -> bool {
        matches!(self, Filter::Echo | Filter::All)
    }
}

/// Parameters of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The filter in front of A.
    pub filter: Filter,
    /// IPv6 instead of IPv4.
    pub ipv6: bool,
    /// R1 clamps the MSS option of SYNs it forwards to fit the tunnel.
    pub clamp: bool,
    /// A runs PLPMTUD (Linux `tcp_mtu_probing = 1`).
    pub plpmtud: bool,
    /// A sets DF (always, in IPv6, where no router fragments).
    pub df: bool,
    /// The tunnel's MTU, [`MIN_MTU`]…[`MAX_MTU`].
    pub mtu: u16,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            filter: Filter::None,
            ipv6: false,
            clamp: false,
            plpmtud: false,
            df: true,
            mtu: DEFAULT_MTU,
        }
    }
}

/// A named setup: the presets the picker offers and the API takes as `scenario`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// The name in URLs and the database.
    pub name: &'static str,
    /// The Japanese label.
    pub label: &'static str,
    /// Its settings.
    pub params: Params,
}

const fn preset(
    name: &'static str,
    label: &'static str,
    filter: Filter,
    ipv6: bool,
    clamp: bool,
    plpmtud: bool,
    df: bool,
) -> Preset {
    Preset {
        name,
        label,
        params: Params {
            filter,
            ipv6,
            clamp,
            plpmtud,
            df,
            mtu: DEFAULT_MTU,
        },
    }
}

/// The named scenarios, in picker order (facts.md W4: 1 normal, 2 black hole, 3 echo only,
/// 4 fixes and variants). Labels name the settings, never the outcome, which 予想モード asks for.
pub static PRESETS: [Preset; 8] = [
    preset(
        "normal",
        "ICMP を落とさない",
        Filter::None,
        false,
        false,
        false,
        true,
    ),
    preset(
        "black-hole",
        "ICMP type 3 を落とす",
        Filter::Type3,
        false,
        false,
        false,
        true,
    ),
    preset(
        "drop-echo",
        "Echo Request だけを落とす",
        Filter::Echo,
        false,
        false,
        false,
        true,
    ),
    preset(
        "mss-clamp",
        "ICMP type 3 を落とす + R1 で MSS クランプ",
        Filter::Type3,
        false,
        true,
        false,
        true,
    ),
    preset(
        "plpmtud",
        "ICMP type 3 を落とす + PLPMTUD",
        Filter::Type3,
        false,
        false,
        true,
        true,
    ),
    preset(
        "ipv6",
        "IPv6（ICMP を落とさない）",
        Filter::None,
        true,
        false,
        false,
        true,
    ),
    preset(
        "ipv6-black-hole",
        "IPv6 で Packet Too Big を落とす",
        Filter::Type3,
        true,
        false,
        false,
        true,
    ),
    preset(
        "df-off",
        "IPv4 で DF を立てない",
        Filter::None,
        false,
        false,
        false,
        false,
    ),
];

/// The preset called `name`, if any.
pub fn preset_named(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// Reads `scenario` (a preset; default `normal`), then `filter`, `ip` (4 or 6), `clamp`,
/// `plpmtud`, `df` and `mtu`, each of which overrides the preset's value when given. Unknown
/// keys are ignored; a bad value, or `df=false` with IPv6, is a [`ParamError`] naming the key.
pub fn params_from_query(pairs: &[(String, String)]) -> Result<Params, ParamError> {
    let base = match query_value(pairs, "scenario") {
        None => PRESETS[0].params,
        Some(name) => {
            preset_named(name)
                .ok_or_else(|| {
                    let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
                    crate::widgets::not_allowed("scenario", name, &names)
                })?
                .params
        }
    };
    let ipv6 = query_choice(pairs, "ip", base.ipv6, &[false, true], |v6| {
        if v6 { "6" } else { "4" }
    })?;
    let p = Params {
        filter: query_choice(pairs, "filter", base.filter, &Filter::ALL, Filter::name)?,
        ipv6,
        clamp: query_bool(pairs, "clamp", base.clamp)?,
        plpmtud: query_bool(pairs, "plpmtud", base.plpmtud)?,
        df: query_bool(pairs, "df", base.df)?,
        mtu: query_u64(
            pairs,
            "mtu",
            u64::from(base.mtu),
            u64::from(MIN_MTU),
            u64::from(MAX_MTU),
        )?
        .try_into()
        .unwrap_or(DEFAULT_MTU),
    };
    if p.ipv6 && !p.df {
        return Err(ParamError(
            "パラメータ df は IPv6 では false にできません。IPv6 には DF ビットが無く、ルータは分割しません（RFC 8200 §5）".to_owned(),
        ));
    }
    Ok(p)
}

/// The query pairs that ask for exactly `p` (what the widget script sends, and the check body
/// goes through).
pub fn query_of(p: &Params) -> Vec<(String, String)> {
    [
        ("filter", p.filter.name().to_owned()),
        ("ip", if p.ipv6 { "6" } else { "4" }.to_owned()),
        ("clamp", p.clamp.to_string()),
        ("plpmtud", p.plpmtud.to_string()),
        ("df", p.df.to_string()),
        ("mtu", p.mtu.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The name a setup is stored under: a preset's name when it is one, otherwise `v4`/`v6` and
/// each setting that differs from the defaults (`v4+echo+clamp+mtu1300`), so an instructor's
/// table groups the same setup together.
pub fn scenario_name(p: &Params) -> String {
    if let Some(preset) = PRESETS.iter().find(|pr| pr.params == *p) {
        return preset.name.to_owned();
    }
    let mut name = if p.ipv6 { "v6" } else { "v4" }.to_owned();
    if p.filter != Filter::None {
        name.push('+');
        name.push_str(p.filter.name());
    }
    for (on, part) in [(p.clamp, "clamp"), (p.plpmtud, "plpmtud"), (!p.df, "df0")] {
        if on {
            name.push('+');
            name.push_str(part);
        }
    }
    if p.mtu != DEFAULT_MTU {
        name.push_str(&format!("+mtu{}", p.mtu));
    }
    name
}

/// The parameters [`scenario_name`] wrote, or `None` for a name it cannot have written.
pub fn params_from_scenario_name(name: &str) -> Option<Params> {
    if let Some(preset) = preset_named(name) {
        return Some(preset.params);
    }
    let mut parts = name.split('+');
    let mut p = Params {
        ipv6: match parts.next()? {
            "v4" => false,
            "v6" => true,
            _ => return None,
        },
        ..Params::default()
    };
    for part in parts {
        match part {
            "clamp" => p.clamp = true,
            "plpmtud" => p.plpmtud = true,
            "df0" => p.df = false,
            other => {
                if let Some(mtu) = other.strip_prefix("mtu") {
                    p.mtu = mtu
                        .parse()
                        .ok()
                        .filter(|m| (MIN_MTU..=MAX_MTU).contains(m))?;
                } else {
                    p.filter = Filter::ALL.into_iter().find(|f| f.name() == other)?;
                }
            }
        }
    }
    // Only the canonical spelling, so two names never label the same setup.
    (scenario_name(&p) == name).then_some(p)
}

/// A setup in Japanese for the instructor's tables: a preset's label, or the settings joined by
/// 「・」 (「IPv4・Echo Request だけを落とす・MSS クランプ・トンネル MTU 1300」).
pub fn scenario_label(p: &Params) -> String {
    if let Some(preset) = PRESETS.iter().find(|pr| pr.params == *p) {
        return preset.label.to_owned();
    }
    let mut parts = vec![if p.ipv6 { "IPv6" } else { "IPv4" }.to_owned()];
    parts.push(p.filter.label().to_owned());
    if p.clamp {
        parts.push("MSS クランプ".to_owned());
    }
    if p.plpmtud {
        parts.push("PLPMTUD".to_owned());
    }
    if !p.df {
        parts.push("DF なし".to_owned());
    }
    if p.mtu != DEFAULT_MTU {
        parts.push(format!("トンネル MTU {}", p.mtu));
    }
    parts.join("・")
}
