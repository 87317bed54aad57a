// examples/04-pipeline/rust/classify.rs: stage 3 of the pipeline
// walkthrough, in Rust. Behaves exactly like ../wasm/classify.c: same
// arguments, same rules, same output bytes, same summary line and exit
// status. Built with the Rust standard library only (no crates), so the
// distribution's rustc compiles it:
//
//   rustc --edition 2021 -O --target wasm32-wasi classify.rs -o classify.wasm
//
//   classify ENRICHED.jsonl OUTPUT.jsonl
//
// Every record gets two fields, "class" and "class_reason":
//   invalid     the record has errors (from transform)
//   enterprise  amount_usd >= 10000
//   business    amount_usd >= 1000, or any amount from a company domain
//               (not a free mail provider) and at least 500
//   consumer    everything else
// The rules are ordered; the first that applies wins.
//
// Exit status: 0 (prints "classify: N records (enterprise A, business B,
// consumer C, invalid D) -> OUTPUT"); 2 on a usage or I/O error or a line
// that is not a JSON object ("INPUT:LINE: ...").
//
// The JSON reader follows RFC 8259 strictly like ../../02-jsonschema/json.c:
// numbers are kept as written, strings are decoded and written back with
// the same escapes, members keep their order (a repeated key: the last one
// is read, the first one is replaced).

use std::fs::File;
use std::io::{self, Read, Write};
use std::process::exit;

const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
const MAX_DEPTH: usize = 256;

enum Json {
    Null,
    Bool(bool),
    Number(String, f64),
    Str(Vec<u8>),
    Array(Vec<Json>),
    Object(Vec<(Vec<u8>, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members
                .iter()
                .rev()
                .find(|(k, _)| k.as_slice() == key.as_bytes())
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn set(&mut self, key: &str, value: Json) {
        if let Json::Object(members) = self {
            if let Some(m) = members.iter_mut().find(|(k, _)| k.as_slice() == key.as_bytes()) {
                m.1 = value;
            } else {
                members.push((key.as_bytes().to_vec(), value));
            }
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn fail<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{} (at byte {})", what, self.pos + 1))
    }

    fn lit(&mut self, word: &str, v: Json) -> Result<Json, String> {
        if self.s[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            self.fail("unexpected character")
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        if self.pos >= self.s.len() {
            return self.fail("unexpected end of input");
        }
        match self.s[self.pos] {
            b'n' => self.lit("null", Json::Null),
            b't' => self.lit("true", Json::Bool(true)),
            b'f' => self.lit("false", Json::Bool(false)),
            b'"' => Ok(Json::Str(self.string()?)),
            b'[' => self.array(),
            b'{' => self.object(),
            b'-' | b'0'..=b'9' => self.number(),
            _ => self.fail("unexpected character"),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Json, String> {
        let start = self.pos;
        if self.s[self.pos] == b'-' {
            self.pos += 1;
        }
        let int_start = self.pos;
        let n = self.digits();
        if n == 0 {
            return self.fail("expected a digit");
        }
        if n > 1 && self.s[int_start] == b'0' {
            return self.fail("leading zero in a number");
        }
        if self.pos < self.s.len() && self.s[self.pos] == b'.' {
            self.pos += 1;
            if self.digits() == 0 {
                return self.fail("expected a digit after '.'");
            }
        }
        if self.pos < self.s.len() && matches!(self.s[self.pos], b'e' | b'E') {
            self.pos += 1;
            if self.pos < self.s.len() && matches!(self.s[self.pos], b'+' | b'-') {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.fail("expected a digit in the exponent");
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("0").to_string();
        let value = text.parse::<f64>().unwrap_or(0.0);
        Ok(Json::Number(text, value))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        if self.pos + 4 > self.s.len() {
            return self.fail("unexpected end of input in \\u escape");
        }
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match (self.s[self.pos] as char).to_digit(16) {
                Some(d) => d,
                None => return self.fail("bad \\u escape"),
            };
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<Vec<u8>, String> {
        self.pos += 1; /* the opening quote */
        let mut out = Vec::new();
        loop {
            if self.pos >= self.s.len() {
                return self.fail("unterminated string");
            }
            let c = self.s[self.pos];
            match c {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    if self.pos >= self.s.len() {
                        return self.fail("unterminated string");
                    }
                    let e = self.s[self.pos];
                    self.pos += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xd800..0xdc00).contains(&cp) {
                                if !self.s[self.pos..].starts_with(b"\\u") {
                                    return self.fail("unpaired surrogate");
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&lo) {
                                    return self.fail("unpaired surrogate");
                                }
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                            } else if (0xdc00..0xe000).contains(&cp) {
                                return self.fail("unpaired surrogate");
                            }
                            let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => {
                            self.pos -= 1;
                            return self.fail("bad escape");
                        }
                    }
                }
                0..=0x1f => return self.fail("control character in a string"),
                _ => {
                    /* One UTF-8 sequence, checked. */
                    let len = match c {
                        0x00..=0x7f => 1,
                        0xc2..=0xdf => 2,
                        0xe0..=0xef => 3,
                        0xf0..=0xf4 => 4,
                        _ => return self.fail("invalid UTF-8"),
                    };
                    let end = self.pos + len;
                    if end > self.s.len() || std::str::from_utf8(&self.s[self.pos..end]).is_err() {
                        return self.fail("invalid UTF-8");
                    }
                    out.extend_from_slice(&self.s[self.pos..end]);
                    self.pos = end;
                }
            }
        }
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail("nesting too deep");
        }
        self.pos += 1;
        Ok(())
    }

    fn array(&mut self) -> Result<Json, String> {
        self.enter()?;
        let mut items = Vec::new();
        self.ws();
        if self.pos < self.s.len() && self.s[self.pos] == b']' {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.ws();
            match self.s.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Json::Array(items));
                }
                _ => return self.fail("expected ',' or ']'"),
            }
        }
    }

    fn object(&mut self) -> Result<Json, String> {
        self.enter()?;
        let mut members = Vec::new();
        self.ws();
        if self.pos < self.s.len() && self.s[self.pos] == b'}' {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.ws();
            if self.s.get(self.pos) != Some(&b'"') {
                return self.fail("expected a string key");
            }
            let key = self.string()?;
            self.ws();
            if self.s.get(self.pos) != Some(&b':') {
                return self.fail("expected ':'");
            }
            self.pos += 1;
            members.push((key, self.value()?));
            self.ws();
            match self.s.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Json::Object(members));
                }
                _ => return self.fail("expected ',' or '}'"),
            }
        }
    }
}

fn parse(text: &[u8]) -> Result<Json, String> {
    let mut p = Parser { s: text, pos: 0, depth: 0 };
    let v = p.value()?;
    p.ws();
    if p.pos != text.len() {
        return p.fail("text after the value");
    }
    Ok(v)
}

fn emit_string(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            0..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(c >> 4) as usize]);
                out.push(HEX[(c & 15) as usize]);
            }
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

fn emit(out: &mut Vec<u8>, v: &Json) {
    match v {
        Json::Null => out.extend_from_slice(b"null"),
        Json::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Json::Number(text, _) => out.extend_from_slice(text.as_bytes()),
        Json::Str(s) => emit_string(out, s),
        Json::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                emit(out, item);
            }
            out.push(b']');
        }
        Json::Object(members) => {
            out.push(b'{');
            for (i, (k, val)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                emit_string(out, k);
                out.push(b':');
                emit(out, val);
            }
            out.push(b'}');
        }
    }
}

const CLASS_NAMES: [&str; 4] = ["enterprise", "business", "consumer", "invalid"];
const ENTERPRISE: usize = 0;
const BUSINESS: usize = 1;
const CONSUMER: usize = 2;
const INVALID: usize = 3;

const FREE_MAIL: [&str; 9] = [
    "gmail.com", "googlemail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com",
    "proton.me", "gmx.de", "web.de",
];

fn classify(rec: &Json) -> (usize, String) {
    if let Some(Json::Array(errors)) = rec.get("errors") {
        if !errors.is_empty() {
            let n = errors.len();
            return (INVALID, format!("{} field error{}", n, if n == 1 { "" } else { "s" }));
        }
    }
    let amount = match rec.get("amount_usd") {
        Some(Json::Number(_, n)) => *n,
        _ => return (INVALID, "no amount_usd".to_string()),
    };
    let company = match rec.get("email_domain") {
        Some(Json::Str(d)) => !FREE_MAIL.iter().any(|f| f.as_bytes() == d.as_slice()),
        _ => false,
    };
    if amount >= 10000.0 {
        return (ENTERPRISE, "amount_usd >= 10000".to_string());
    }
    if amount >= 1000.0 {
        return (BUSINESS, "amount_usd >= 1000".to_string());
    }
    if company && amount >= 500.0 {
        return (BUSINESS, "company domain and amount_usd >= 500".to_string());
    }
    (CONSUMER, "amount_usd < 1000".to_string())
}

/* The C library's wording for the errors a user meets, so both builds of
 * the stage print the same messages. */
fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "No such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "Permission denied".to_string(),
        _ => match e.raw_os_error() {
            Some(76) => "Capabilities insufficient".to_string(),
            Some(69) => "Read-only file system".to_string(),
            Some(31) => "Is a directory".to_string(),
            /* A path under no mount: std refuses it before asking WASI,
             * where wasi-libc reports ENOTCAPABLE. */
            _ if e.to_string().starts_with("failed to find a pre-opened") => {
                "Capabilities insufficient".to_string()
            }
            _ => e.to_string(),
        },
    }
}

fn read_input(path: &str) -> Result<Vec<u8>, String> {
    let f = File::open(path).map_err(|e| format!("cannot open: {}", describe(&e)))?;
    /* The size (fd_filestat_get) only sizes the buffer: the file may change. */
    let hint = f.metadata().map(|m| m.len().min(MAX_FILE_BYTES)).unwrap_or(0);
    let mut text = Vec::with_capacity(hint as usize);
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(|e| format!("cannot read: {}", describe(&e)))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("file is larger than {} bytes", MAX_FILE_BYTES));
    }
    Ok(text)
}

fn run(args: &[String]) -> i32 {
    if args.len() != 3 {
        eprint!(
            "usage: classify ENRICHED.jsonl OUTPUT.jsonl\n\
             Adds \"class\" and \"class_reason\" to each record written by transform.\n"
        );
        return 2;
    }
    let text = match read_input(&args[1]) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("{}: {}", args[1], msg);
            return 2;
        }
    };
    let mut out = match File::create(&args[2]) {
        Ok(f) => io::BufWriter::new(f),
        Err(e) => {
            eprintln!("{}: cannot create: {}", args[2], describe(&e));
            return 2;
        }
    };
    let mut counts = [0usize; 4];
    let mut total = 0usize;
    let mut buf = Vec::new();
    /* Records are written as they are classified: a bad line stops the
     * stage with the lines before it already in OUTPUT, as in the C build. */
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(|&b| b == b' ' || b == b'\t' || b == b'\r') {
            continue;
        }
        let mut rec = match parse(line) {
            Ok(v @ Json::Object(_)) => v,
            Ok(_) => {
                let _ = out.flush();
                eprintln!("{}:{}: expected a JSON object", args[1], i + 1);
                return 2;
            }
            Err(msg) => {
                let _ = out.flush();
                eprintln!("{}:{}: invalid JSON: {}", args[1], i + 1, msg);
                return 2;
            }
        };
        let (k, reason) = classify(&rec);
        counts[k] += 1;
        total += 1;
        rec.set("class", Json::Str(CLASS_NAMES[k].as_bytes().to_vec()));
        rec.set("class_reason", Json::Str(reason.into_bytes()));
        buf.clear();
        emit(&mut buf, &rec);
        buf.push(b'\n');
        if let Err(e) = out.write_all(&buf) {
            eprintln!("{}: cannot write: {}", args[2], describe(&e));
            return 2;
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("{}: cannot write: {}", args[2], describe(&e));
        return 2;
    }
    let summary = format!(
        "classify: {} record{} (enterprise {}, business {}, consumer {}, invalid {}) -> {}\n",
        total,
        if total == 1 { "" } else { "s" },
        counts[ENTERPRISE],
        counts[BUSINESS],
        counts[CONSUMER],
        counts[INVALID],
        args[2]
    );
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    if lock.write_all(summary.as_bytes()).and_then(|_| lock.flush()).is_err() {
        return 2;
    }
    0
}

fn main() {
    let args: Vec<String> =
        std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    exit(run(&args));
}
