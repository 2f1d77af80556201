//! Policy modules: one interface, four kinds.
//!
//! | module | rules (one per line, `#` comments) | decides | cacheable |
//! | --- | --- | --- | --- |
//! | `allowlist` | `allow\|deny SUBJECT OBJECT OPS` (OPS: `read,write` or `*`) | first matching rule; no match: deny | yes |
//! | `lattice` | `levels L0 L1 ...` (lowest first); `subject PATTERN LEVEL`; `object PATTERN LEVEL` | reads (read, list, connect) need subject ≥ object (no read up); writes (write, create, delete) need subject ≤ object (no write down); unknown subject or object: deny | yes |
//! | `chinese-wall` | `class NAME DATASET...` (datasets are object patterns); `other allow\|deny` | a subject that touched a dataset of a class is denied the other datasets of that class; `connect` never touches | objects in no class: yes; objects in a class: no, since what the subject touches next changes the answer |
//! | `ratelimit` | `limit SUBJECT COUNT per MILLISECONDS`; `other allow\|deny` | at most COUNT decisions per window per subject | no: every call must ask |
//!
//! Patterns are exact names, or prefixes ending in `*`. Rules are parsed by
//! [`load`]; a bad line is an error naming the line, never a panic.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;

use crate::{matches, Decision, Operation};

/// What a module answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub decision: Decision,
    /// May an object server reuse this answer until the epoch changes?
    pub cacheable: bool,
    /// Did this decision change the module's state so that earlier answers
    /// (cached anywhere) may now be wrong? Then the epoch must grow. (The
    /// modules here avoid it by not letting such answers be cached; the
    /// server core supports it for modules that need it.)
    pub invalidates: bool,
}

impl Verdict {
    const fn cached(decision: Decision) -> Verdict {
        Verdict {
            decision,
            cacheable: true,
            invalidates: false,
        }
    }
}

/// The interface every policy module implements.
pub trait PolicyModule {
    /// The module's name (`allowlist`, ...).
    fn name(&self) -> &'static str;
    /// Decides; `now_ms` is the time for modules that count.
    fn decide(&mut self, subject: &str, object: &str, op: Operation, now_ms: u64) -> Verdict;
    /// Writes the rules in force, for `policy show`.
    fn describe(&self, out: &mut String);
}

/// A rule line that could not be understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// 1-based line number.
    pub line: usize,
    pub why: String,
}

/// The module names [`load`] knows.
pub const MODULES: &[&str] = &["allowlist", "lattice", "chinese-wall", "ratelimit"];

/// Builds module `name` from its rules text.
pub fn load(name: &str, rules: &str) -> Result<Box<dyn PolicyModule>, RuleError> {
    match name {
        "allowlist" => Ok(Box::new(AllowList::parse(rules)?)),
        "lattice" => Ok(Box::new(Lattice::parse(rules)?)),
        "chinese-wall" => Ok(Box::new(ChineseWall::parse(rules)?)),
        "ratelimit" => Ok(Box::new(RateLimit::parse(rules)?)),
        other => Err(RuleError {
            line: 0,
            why: format!("no policy module called '{other}'"),
        }),
    }
}

/// The meaningful lines of a rules text: (line number, words).
fn lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let l = l.split('#').next().unwrap_or("");
        let words: Vec<&str> = l.split_ascii_whitespace().collect();
        (!words.is_empty()).then_some((i + 1, words))
    })
}

fn err<T>(line: usize, why: &str) -> Result<T, RuleError> {
    Err(RuleError {
        line,
        why: why.to_string(),
    })
}

fn parse_other(line: usize, words: &[&str]) -> Result<Decision, RuleError> {
    match words {
        ["other", "allow"] => Ok(Decision::Allow),
        ["other", "deny"] => Ok(Decision::Deny),
        _ => err(line, "usage: other allow|deny"),
    }
}

// ---------------------------------------------------------------------------

/// Which operations a rule covers (bit per operation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OpSet(u8);

impl OpSet {
    fn parse(s: &str) -> Option<OpSet> {
        if s == "*" {
            return Some(OpSet(0x3f));
        }
        let mut bits = 0u8;
        for name in s.split(',') {
            bits |= 1 << Operation::parse(name)? as u8;
        }
        Some(OpSet(bits))
    }
    fn contains(self, op: Operation) -> bool {
        self.0 & (1 << op as u8) != 0
    }
    fn write(self, out: &mut String) {
        if self.0 == 0x3f {
            out.push('*');
            return;
        }
        let names: Vec<&str> = Operation::ALL
            .into_iter()
            .filter(|o| self.contains(*o))
            .map(Operation::name)
            .collect();
        out.push_str(&names.join(","));
    }
}

struct Rule {
    decision: Decision,
    subject: String,
    object: String,
    ops: OpSet,
}

/// `allowlist`: first matching rule wins; no match denies.
pub struct AllowList {
    rules: Vec<Rule>,
}

impl AllowList {
    pub fn parse(text: &str) -> Result<AllowList, RuleError> {
        let mut rules = Vec::new();
        for (line, w) in lines(text) {
            let decision = match w[0] {
                "allow" => Decision::Allow,
                "deny" => Decision::Deny,
                _ => return err(line, "a rule starts with 'allow' or 'deny'"),
            };
            let [_, subject, object, ops] = w[..] else {
                return err(line, "usage: allow|deny SUBJECT OBJECT OPS");
            };
            let ops = OpSet::parse(ops).ok_or(RuleError {
                line,
                why: format!("unknown operation in '{ops}'"),
            })?;
            rules.push(Rule {
                decision,
                subject: subject.to_string(),
                object: object.to_string(),
                ops,
            });
        }
        Ok(AllowList { rules })
    }
}

impl PolicyModule for AllowList {
    fn name(&self) -> &'static str {
        "allowlist"
    }
    fn decide(&mut self, subject: &str, object: &str, op: Operation, _now_ms: u64) -> Verdict {
        let d = self
            .rules
            .iter()
            .find(|r| r.ops.contains(op) && matches(&r.subject, subject) && matches(&r.object, object))
            .map_or(Decision::Deny, |r| r.decision);
        Verdict::cached(d)
    }
    fn describe(&self, out: &mut String) {
        for r in &self.rules {
            let _ = write!(out, "{} {} {} ", r.decision.name(), r.subject, r.object);
            r.ops.write(out);
            out.push('\n');
        }
        out.push_str("(no match: deny)\n");
    }
}

// ---------------------------------------------------------------------------

/// `lattice`: levels; no read up, no write down.
pub struct Lattice {
    levels: Vec<String>,
    subjects: Vec<(String, usize)>,
    objects: Vec<(String, usize)>,
}

impl Lattice {
    pub fn parse(text: &str) -> Result<Lattice, RuleError> {
        let mut l = Lattice {
            levels: Vec::new(),
            subjects: Vec::new(),
            objects: Vec::new(),
        };
        for (line, w) in lines(text) {
            match w[0] {
                "levels" if w.len() >= 2 => {
                    if !l.levels.is_empty() {
                        return err(line, "levels given twice");
                    }
                    l.levels = w[1..].iter().map(|s| s.to_string()).collect();
                }
                "subject" | "object" if w.len() == 3 => {
                    let level = l.levels.iter().position(|x| x == w[2]).ok_or(RuleError {
                        line,
                        why: format!("unknown level '{}' (give 'levels' first)", w[2]),
                    })?;
                    let entry = (w[1].to_string(), level);
                    if w[0] == "subject" {
                        l.subjects.push(entry);
                    } else {
                        l.objects.push(entry);
                    }
                }
                _ => {
                    return err(
                        line,
                        "usage: levels L0 L1 ... | subject PATTERN LEVEL | object PATTERN LEVEL",
                    )
                }
            }
        }
        if l.levels.is_empty() {
            return err(0, "no 'levels' line");
        }
        Ok(l)
    }

    fn level(list: &[(String, usize)], name: &str) -> Option<usize> {
        list.iter().find(|(p, _)| matches(p, name)).map(|(_, l)| *l)
    }
}

impl PolicyModule for Lattice {
    fn name(&self) -> &'static str {
        "lattice"
    }
    fn decide(&mut self, subject: &str, object: &str, op: Operation, _now_ms: u64) -> Verdict {
        let d = match (Self::level(&self.subjects, subject), Self::level(&self.objects, object)) {
            (Some(s), Some(o)) if op.is_read() && s >= o => Decision::Allow,
            (Some(s), Some(o)) if !op.is_read() && s <= o => Decision::Allow,
            _ => Decision::Deny,
        };
        Verdict::cached(d)
    }
    fn describe(&self, out: &mut String) {
        let _ = writeln!(out, "levels {}", self.levels.join(" < "));
        for (p, l) in &self.subjects {
            let _ = writeln!(out, "subject {p} {}", self.levels[*l]);
        }
        for (p, l) in &self.objects {
            let _ = writeln!(out, "object {p} {}", self.levels[*l]);
        }
        out.push_str("(reads need subject >= object, writes need subject <= object)\n");
    }
}

// ---------------------------------------------------------------------------

/// `chinese-wall`: conflict classes of datasets.
pub struct ChineseWall {
    /// (class name, dataset patterns).
    classes: Vec<(String, Vec<String>)>,
    other: Decision,
    /// subject -> (class index -> dataset index touched).
    touched: BTreeMap<String, BTreeMap<usize, usize>>,
}

impl ChineseWall {
    pub fn parse(text: &str) -> Result<ChineseWall, RuleError> {
        let mut c = ChineseWall {
            classes: Vec::new(),
            other: Decision::Deny,
            touched: BTreeMap::new(),
        };
        for (line, w) in lines(text) {
            match w[0] {
                "class" if w.len() >= 4 => {
                    c.classes
                        .push((w[1].to_string(), w[2..].iter().map(|s| s.to_string()).collect()));
                }
                "class" => return err(line, "usage: class NAME DATASET DATASET..."),
                "other" => c.other = parse_other(line, &w)?,
                _ => return err(line, "usage: class NAME DATASET... | other allow|deny"),
            }
        }
        Ok(c)
    }

    /// (class, dataset) of an object, if it is in a class.
    fn place(&self, object: &str) -> Option<(usize, usize)> {
        self.classes
            .iter()
            .enumerate()
            .find_map(|(ci, (_, sets))| sets.iter().position(|p| matches(p, object)).map(|di| (ci, di)))
    }
}

impl PolicyModule for ChineseWall {
    fn name(&self) -> &'static str {
        "chinese-wall"
    }
    fn decide(&mut self, subject: &str, object: &str, op: Operation, _now_ms: u64) -> Verdict {
        let Some((class, dataset)) = self.place(object) else {
            return Verdict::cached(self.other);
        };
        // Answers about objects in a class depend on what the subject does
        // next, so they are never cached: no cached answer can go stale.
        let uncached = |decision| Verdict {
            decision,
            cacheable: false,
            invalidates: false,
        };
        let mine = self.touched.get(subject).and_then(|m| m.get(&class)).copied();
        match mine {
            Some(d) if d == dataset => uncached(Decision::Allow),
            Some(_) => uncached(Decision::Deny),
            None if op == Operation::Connect => uncached(Decision::Allow),
            None => {
                // First touch of this class: from now on the other datasets
                // are closed to this subject.
                self.touched
                    .entry(subject.to_string())
                    .or_default()
                    .insert(class, dataset);
                uncached(Decision::Allow)
            }
        }
    }
    fn describe(&self, out: &mut String) {
        for (name, sets) in &self.classes {
            let _ = writeln!(out, "class {name} {}", sets.join(" "));
        }
        let _ = writeln!(out, "other {}", self.other.name());
        for (s, m) in &self.touched {
            for (c, d) in m {
                let _ = writeln!(
                    out,
                    "({s} touched {} in {})",
                    self.classes[*c].1[*d], self.classes[*c].0
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------

/// `ratelimit`: at most COUNT decisions per window per subject.
pub struct RateLimit {
    /// (subject pattern, count, window ms).
    limits: Vec<(String, u32, u64)>,
    other: Decision,
    /// subject -> (window start, used).
    windows: BTreeMap<String, (u64, u32)>,
}

impl RateLimit {
    pub fn parse(text: &str) -> Result<RateLimit, RuleError> {
        let mut r = RateLimit {
            limits: Vec::new(),
            other: Decision::Allow,
            windows: BTreeMap::new(),
        };
        for (line, w) in lines(text) {
            match w[..] {
                ["limit", subject, count, "per", ms] => {
                    let count = count.parse().map_err(|_| RuleError {
                        line,
                        why: "COUNT must be a number".into(),
                    })?;
                    let ms = ms.parse().map_err(|_| RuleError {
                        line,
                        why: "MILLISECONDS must be a number".into(),
                    })?;
                    if ms == 0 {
                        return err(line, "the window must be at least 1 ms");
                    }
                    r.limits.push((subject.to_string(), count, ms));
                }
                ["other", ..] => r.other = parse_other(line, &w)?,
                _ => return err(line, "usage: limit SUBJECT COUNT per MILLISECONDS | other allow|deny"),
            }
        }
        Ok(r)
    }
}

impl PolicyModule for RateLimit {
    fn name(&self) -> &'static str {
        "ratelimit"
    }
    fn decide(&mut self, subject: &str, _object: &str, _op: Operation, now_ms: u64) -> Verdict {
        let uncached = |decision| Verdict {
            decision,
            cacheable: false,
            invalidates: false,
        };
        let Some(&(_, count, window)) = self.limits.iter().find(|(p, _, _)| matches(p, subject)) else {
            return uncached(self.other);
        };
        let w = self.windows.entry(subject.to_string()).or_insert((now_ms, 0));
        if now_ms.saturating_sub(w.0) >= window {
            *w = (now_ms, 0);
        }
        if w.1 < count {
            w.1 += 1;
            uncached(Decision::Allow)
        } else {
            uncached(Decision::Deny)
        }
    }
    fn describe(&self, out: &mut String) {
        for (s, c, w) in &self.limits {
            let _ = writeln!(out, "limit {s} {c} per {w}");
        }
        let _ = writeln!(out, "other {}", self.other.name());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::*;
    use Operation::*;

    fn d(m: &mut dyn PolicyModule, s: &str, o: &str, op: Operation) -> Decision {
        m.decide(s, o, op, 0).decision
    }

    #[test]
    fn allowlist_first_match_and_default_deny() {
        let mut m = load(
            "allowlist",
            "# test\nallow sys/alice service:store connect\nallow sys/alice store:public/* read,list\n\
             deny sys/alice store:public/secret *\nallow sys/* store:shared read\n",
        )
        .unwrap();
        assert_eq!(d(&mut *m, "sys/alice", "service:store", Connect), Allow);
        assert_eq!(d(&mut *m, "sys/alice", "store:public/x", Read), Allow);
        // First match wins: the read rule comes before the deny.
        assert_eq!(d(&mut *m, "sys/alice", "store:public/secret", Read), Allow);
        assert_eq!(d(&mut *m, "sys/alice", "store:public/secret", Write), Deny);
        assert_eq!(d(&mut *m, "sys/bob", "store:shared", Read), Allow);
        assert_eq!(d(&mut *m, "sys/bob", "service:store", Connect), Deny);
        let mut s = String::new();
        m.describe(&mut s);
        assert!(s.contains("allow sys/alice store:public/* read,list"));
    }

    #[test]
    fn lattice_no_read_up_no_write_down() {
        let mut m = load(
            "lattice",
            "levels public secret\nsubject sys/low public\nsubject sys/high secret\n\
             object store:secret/* secret\nobject store:* public\nobject service:* public\n",
        )
        .unwrap();
        assert_eq!(d(&mut *m, "sys/low", "store:secret/plan", Read), Deny); // read up
        assert_eq!(d(&mut *m, "sys/low", "store:secret/plan", Write), Allow); // write up
        assert_eq!(d(&mut *m, "sys/high", "store:notes", Write), Deny); // write down
        assert_eq!(d(&mut *m, "sys/high", "store:notes", Read), Allow); // read down
        assert_eq!(d(&mut *m, "sys/high", "service:store", Connect), Allow);
        assert_eq!(d(&mut *m, "sys/nobody", "store:notes", Read), Deny);
    }

    #[test]
    fn chinese_wall_closes_the_other_side() {
        let mut m = load(
            "chinese-wall",
            "class banks store:bank-a/* store:bank-b/*\nother allow\n",
        )
        .unwrap();
        assert_eq!(d(&mut *m, "sys/c", "service:store", Connect), Allow);
        let first = m.decide("sys/c", "store:bank-a/x", Read, 0);
        assert_eq!(
            first,
            Verdict {
                decision: Allow,
                cacheable: false,
                invalidates: false
            }
        );
        assert_eq!(m.decide("sys/c", "store:bank-a/y", Write, 0).decision, Allow);
        assert_eq!(d(&mut *m, "sys/c", "store:bank-b/x", Read), Deny);
        assert_eq!(d(&mut *m, "sys/d", "store:bank-b/x", Read), Allow); // another subject
        assert_eq!(m.decide("sys/c", "store:notes", Read, 0), Verdict::cached(Allow));
        // in no class
    }

    #[test]
    fn ratelimit_counts_per_window_and_never_caches() {
        let mut m = load("ratelimit", "limit sys/greedy 2 per 100\nother allow\n").unwrap();
        assert_eq!(m.decide("sys/greedy", "x", Read, 0).decision, Allow);
        assert_eq!(m.decide("sys/greedy", "x", Read, 10).decision, Allow);
        let third = m.decide("sys/greedy", "x", Read, 20);
        assert_eq!(
            third,
            Verdict {
                decision: Deny,
                cacheable: false,
                invalidates: false
            }
        );
        assert_eq!(m.decide("sys/greedy", "x", Read, 100).decision, Allow); // new window
        assert_eq!(m.decide("sys/other", "x", Read, 20).decision, Allow);
    }

    #[test]
    fn bad_rules_name_the_line() {
        assert_eq!(load("allowlist", "allow a b\n").err().unwrap().line, 1);
        assert_eq!(load("allowlist", "\n\npermit a b c\n").err().unwrap().line, 3);
        assert!(load("allowlist", "allow a b fly").err().unwrap().why.contains("fly"));
        assert_eq!(load("lattice", "subject a low\n").err().unwrap().line, 1);
        assert!(load("lattice", "# nothing\n").is_err());
        assert!(load("ratelimit", "limit a x per 10\n").is_err());
        assert!(load("ratelimit", "limit a 1 per 0\n").is_err());
        assert!(load("chinese-wall", "class onlyone store:a\n").is_err());
        assert!(load("nosuch", "").is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_rules_text_never_panics(text in "[a-z *:/,#\\n0-9-]{0,200}") {
            for name in MODULES {
                if let Ok(mut m) = load(name, &text) {
                    let _ = m.decide("sys/x", "store:y", Read, 5);
                    let mut s = String::new();
                    m.describe(&mut s);
                }
            }
        }
    }
}
