//! Instances of a JSON Schema for the fidelity test: values meant to
//! conform (every branch, optional fields present and absent, bounds at
//! their edges) and mutations meant to break one rule each. Neither is
//! trusted: the independent validator says which conform.

use serde_json::{Map, Number, Value, json};

/// SplitMix64: small, seeded, the same sequence on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// True `pct` times in a hundred.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Makes instances of the schemas of one document.
pub struct Gen<'a> {
    pub root: &'a Value,
    pub rng: Rng,
    /// Whether a value hit the depth limit: a schema that requires
    /// itself, which no finite value meets.
    pub bottomed: bool,
}

const WORDS: &[&str] = &[
    "a",
    "x1",
    "Alpha",
    "b-2",
    "zeta",
    "Q",
    "hello world",
    "ÿü",
    "42",
];

impl<'a> Gen<'a> {
    /// A schema with its `$ref`s followed (local ones).
    pub fn resolve<'s>(&'s self, mut s: &'s Value) -> &'s Value {
        for _ in 0..32 {
            match s.get("$ref").and_then(Value::as_str) {
                Some(r) => match r.strip_prefix('#').and_then(|p| self.root.pointer(p)) {
                    Some(t) => s = t,
                    None => return s,
                },
                None => return s,
            }
        }
        s
    }

    /// The schema with `allOf` merged into it (properties, required and
    /// every other keyword; the first to give a keyword wins).
    pub fn flat(&self, s: &Value) -> Value {
        self.flat_at(s, 0)
    }

    fn flat_at(&self, s: &Value, depth: u32) -> Value {
        let s = self.resolve(s);
        if depth > 8 {
            return s.clone();
        }
        let Some(m) = s.as_object() else {
            return s.clone();
        };
        let mut out = m.clone();
        out.remove("allOf");
        if let Some(Value::Array(all)) = m.get("allOf") {
            for branch in all {
                let b = self.flat_at(branch, depth + 1);
                let Some(b) = b.as_object() else { continue };
                for (k, v) in b {
                    match (k.as_str(), out.get_mut(k)) {
                        ("properties", Some(Value::Object(p))) => {
                            for (pk, pv) in v.as_object().into_iter().flatten() {
                                p.entry(pk.clone()).or_insert_with(|| pv.clone());
                            }
                        }
                        ("required", Some(Value::Array(r))) => {
                            for x in v.as_array().into_iter().flatten() {
                                if !r.contains(x) {
                                    r.push(x.clone());
                                }
                            }
                        }
                        (_, None) => {
                            out.insert(k.clone(), v.clone());
                        }
                        _ => {}
                    }
                }
            }
        }
        Value::Object(out)
    }

    /// A value meant to conform to `s`.
    pub fn valid(&mut self, s: &Value, depth: u32) -> Value {
        let flat = self.flat(s);
        self.valid_flat(&flat, depth)
    }

    fn valid_flat(&mut self, s: &Value, depth: u32) -> Value {
        if depth > 12 {
            // A schema that requires itself: no finite value conforms.
            self.bottomed = true;
            return Value::Null;
        }
        match s {
            Value::Bool(true) => return self.any_scalar(),
            Value::Bool(false) => return Value::Null,
            _ => {}
        }
        if let Some(c) = s.get("const") {
            return c.clone();
        }
        if let Some(Value::Array(e)) = s.get("enum")
            && !e.is_empty()
        {
            return self.rng.pick(e).clone();
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = s.get(key)
                && !branches.is_empty()
            {
                let branch = self.rng.pick(branches).clone();
                let mut merged = s.as_object().cloned().unwrap_or_default();
                merged.remove("oneOf");
                merged.remove("anyOf");
                let b = self.flat_owned(&branch);
                if let Some(b) = b.as_object() {
                    for (k, v) in b {
                        match (k.as_str(), merged.get_mut(k)) {
                            ("properties", Some(Value::Object(p))) => {
                                for (pk, pv) in v.as_object().into_iter().flatten() {
                                    p.insert(pk.clone(), pv.clone());
                                }
                            }
                            ("required", Some(Value::Array(r))) => {
                                for x in v.as_array().into_iter().flatten() {
                                    if !r.contains(x) {
                                        r.push(x.clone());
                                    }
                                }
                            }
                            _ => {
                                merged.insert(k.clone(), v.clone());
                            }
                        }
                    }
                } else if b == Value::Bool(true) {
                    return self.any_scalar();
                }
                let mut value = self.valid_flat(&Value::Object(merged), depth + 1);
                // A `oneOf` value must match no other branch: often a value
                // of one branch is also one of the others (their properties
                // optional, unknown ones allowed). Sometimes give such a
                // value a property of each other branch, of a type that
                // branch refuses.
                if key == "oneOf"
                    && self.rng.chance(50)
                    && let Value::Object(map) = &mut value
                {
                    let own = b
                        .get("properties")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    for other in branches.iter().filter(|o| **o != branch) {
                        let other = self.flat_owned(other);
                        let props = other
                            .get("properties")
                            .and_then(Value::as_object)
                            .cloned()
                            .unwrap_or_default();
                        if let Some((name, schema)) = props
                            .iter()
                            .find(|(k, _)| !own.contains_key(*k) && !map.contains_key(*k))
                        {
                            let wrong =
                                match self.flat_owned(schema).get("type").and_then(Value::as_str) {
                                    Some("string") => json!(5),
                                    Some(_) => json!("not-this-type"),
                                    None => continue,
                                };
                            map.insert(name.clone(), wrong);
                        }
                    }
                }
                return value;
            }
        }
        let ty = match s.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(ts)) if !ts.is_empty() => {
                self.rng.pick(ts).as_str().unwrap_or("null").to_owned()
            }
            _ if s.get("properties").is_some() || s.get("additionalProperties").is_some() => {
                "object".into()
            }
            _ if s.get("items").is_some() => "array".into(),
            _ => return self.any_scalar(),
        };
        match ty.as_str() {
            "object" => self.object(s, depth),
            "array" => self.array(s, depth),
            "string" => self.string(s),
            "integer" => self.integer(s),
            "number" => self.number(s),
            "boolean" => Value::Bool(self.rng.chance(50)),
            _ => Value::Null,
        }
    }

    fn flat_owned(&self, s: &Value) -> Value {
        self.flat_owned_at(s, 0)
    }

    fn flat_owned_at(&self, s: &Value, depth: u32) -> Value {
        // A branch is a reference into the document or an inline schema.
        if depth > 8 {
            return s.clone();
        }
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => match r.strip_prefix('#').and_then(|p| self.root.pointer(p)) {
                Some(t) => self.flat_at(t, depth + 1),
                None => s.clone(),
            },
            None => {
                let mut m = s.clone();
                if let Some(all) = s.get("allOf").cloned()
                    && let Some(o) = m.as_object_mut()
                {
                    o.remove("allOf");
                    for b in all.as_array().into_iter().flatten() {
                        let b = self.flat_owned_at(b, depth + 1);
                        for (k, v) in b.as_object().into_iter().flatten() {
                            o.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                }
                m
            }
        }
    }

    fn any_scalar(&mut self) -> Value {
        match self.rng.below(4) {
            0 => json!(self.rng.below(100)),
            1 => json!(*self.rng.pick(WORDS)),
            2 => json!(self.rng.chance(50)),
            _ => Value::Null,
        }
    }

    fn object(&mut self, s: &Value, depth: u32) -> Value {
        let required = required(s);
        let mut out = Map::new();
        if let Some(Value::Object(props)) = s.get("properties") {
            for (k, p) in props {
                let needed = required.contains(&k.as_str());
                if needed || (depth < 6 && self.rng.chance(55)) {
                    let p = self.flat_owned(p);
                    out.insert(k.clone(), self.valid_flat(&p, depth + 1));
                }
            }
        }
        for k in &required {
            if !out.contains_key(*k) {
                out.insert((*k).to_owned(), self.any_scalar());
            }
        }
        match s.get("additionalProperties") {
            Some(Value::Bool(false)) => {}
            Some(ap @ Value::Object(_)) => {
                if depth < 6 && self.rng.chance(40) {
                    let ap = self.flat_owned(ap);
                    for i in 0..=self.rng.below(2) {
                        out.insert(format!("extra{i}"), self.valid_flat(&ap, depth + 1));
                    }
                }
            }
            _ => {
                if self.rng.chance(10) {
                    out.insert("unknownField".into(), self.any_scalar());
                } else if self.rng.chance(10) {
                    let name = format!("unknown{}", self.rng.below(1000));
                    out.insert(name, self.any_scalar());
                }
            }
        }
        Value::Object(out)
    }

    fn array(&mut self, s: &Value, depth: u32) -> Value {
        let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let max = s.get("maxItems").and_then(Value::as_u64).unwrap_or(min + 3);
        let mut max = max.min(min + if depth < 4 { 3 } else { 0 });
        // Now and then a long array at the top, where the document sets no
        // bound (an array of a small item space varies only by length).
        if depth == 0 && s.get("maxItems").is_none() && self.rng.chance(20) {
            max = min + 3 + self.rng.below(300);
        }
        let tuple = match s.get("prefixItems") {
            Some(Value::Array(t)) => Some((t, s.get("items"))),
            _ => match s.get("items") {
                Some(Value::Array(t)) => Some((t, s.get("additionalItems"))),
                _ => None,
            },
        };
        match tuple {
            Some((tuple, rest)) => {
                // Tuple form: fewer items than positions are allowed (down
                // to `minItems`), and more where `rest` allows them.
                let (tuple, rest) = (tuple.clone(), rest.cloned());
                let n = tuple.len() as u64;
                let mut len = n;
                if self.rng.chance(30) {
                    len = min.min(n) + self.rng.below(n - min.min(n) + 1);
                }
                let mut out: Vec<Value> = tuple[..len as usize]
                    .iter()
                    .map(|t| {
                        let t = self.flat_owned(t);
                        self.valid_flat(&t, depth + 1)
                    })
                    .collect();
                let room = s
                    .get("maxItems")
                    .and_then(Value::as_u64)
                    .unwrap_or(u64::MAX);
                if len == n && rest != Some(Value::Bool(false)) && self.rng.chance(30) {
                    let rest = rest.map(|r| self.flat_owned(&r));
                    while (out.len() as u64) < room.min(n + 2) {
                        out.push(match &rest {
                            Some(r @ Value::Object(_)) => self.valid_flat(r, depth + 1),
                            _ => self.any_scalar(),
                        });
                    }
                }
                Value::Array(out)
            }
            None => {
                let items = s
                    .get("items")
                    .map(|i| self.flat_owned(i))
                    .unwrap_or(Value::Bool(true));
                let n = min + self.rng.below(max.saturating_sub(min) + 1);
                let mut out: Vec<Value> = Vec::new();
                let unique = s.get("uniqueItems") == Some(&Value::Bool(true));
                let mut tries = 0;
                while (out.len() as u64) < n && tries < 20 + 2 * n {
                    tries += 1;
                    let v = self.valid_flat(&items, depth + 1);
                    if unique && out.contains(&v) {
                        continue;
                    }
                    out.push(v);
                }
                Value::Array(out)
            }
        }
    }

    /// An RFC 3339 `full-date` (days up to 28: valid in every month).
    fn any_date(&mut self) -> String {
        format!(
            "{:04}-{:02}-{:02}",
            1970 + self.rng.below(130),
            1 + self.rng.below(12),
            1 + self.rng.below(28)
        )
    }

    /// An RFC 3339 `full-time`: a fraction sometimes, `Z` or an offset.
    fn any_time(&mut self) -> String {
        let mut t = format!(
            "{:02}:{:02}:{:02}",
            self.rng.below(24),
            self.rng.below(60),
            self.rng.below(60)
        );
        if self.rng.chance(30) {
            t.push_str(&format!(".{}", self.rng.below(1000)));
        }
        if self.rng.chance(50) {
            t.push('Z');
        } else {
            let sign = if self.rng.chance(50) { '+' } else { '-' };
            t.push_str(&format!(
                "{sign}{:02}:{:02}",
                self.rng.below(14),
                15 * self.rng.below(4)
            ));
        }
        t
    }

    fn string(&mut self, s: &Value) -> Value {
        let format = s.get("format").and_then(Value::as_str).unwrap_or("");
        // Half the time a value of the format's whole range, half an edge
        // case.
        let wide = self.rng.chance(50);
        let formatted = match format {
            "date-time" if wide => Some(format!("{}T{}", self.any_date(), self.any_time())),
            "date" if wide => Some(self.any_date()),
            "time" if wide => Some(self.any_time()),
            "email" if wide => Some(format!("user{}@example.com", self.rng.below(100_000))),
            "date-time" => Some(
                self.rng
                    .pick(&[
                        "2024-05-06T07:08:09Z",
                        "2024-05-06T07:08:09.123+02:00",
                        "1999-12-31T23:59:59-05:30",
                        "2024-02-29T00:00:00.5Z",
                        "2024-05-06t07:08:09z",
                    ])
                    .to_string(),
            ),
            "date" => Some(
                self.rng
                    .pick(&["2024-05-06", "1999-12-31", "2024-02-29"])
                    .to_string(),
            ),
            "time" => Some(
                self.rng
                    .pick(&["07:08:09Z", "23:59:59+01:00", "00:00:00.25Z"])
                    .to_string(),
            ),
            "uuid" => Some(format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                self.rng.next() as u32,
                self.rng.below(0x10000),
                self.rng.below(0x1000),
                self.rng.below(0x1000),
                self.rng.next() & 0xffff_ffff_ffff
            )),
            "email" => Some(
                self.rng
                    .pick(&["a@example.com", "first.last@sub.example.org"])
                    .to_string(),
            ),
            "uri" => Some(
                self.rng
                    .pick(&[
                        "https://example.com/a?b=1",
                        "urn:isbn:0451450523",
                        "mailto:a@b.example",
                    ])
                    .to_string(),
            ),
            "byte" => Some(self.rng.pick(&["aGVsbG8=", "", "AAEC"]).to_string()),
            _ => None,
        };
        if let Some(f) = formatted {
            return Value::String(f);
        }
        if let Some(p) = s.get("pattern").and_then(Value::as_str) {
            if let Some(ex) = s
                .get("examples")
                .and_then(Value::as_array)
                .and_then(|e| e.first())
                .filter(|e| e.is_string() && self.rng.chance(30))
            {
                return ex.clone();
            }
            if let Some(text) = from_pattern(p, &mut self.rng) {
                return Value::String(text);
            }
        }
        let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0);
        let max = s
            .get("maxLength")
            .and_then(Value::as_u64)
            .unwrap_or(min + 12);
        let max = max.min(min + 12);
        let n = if self.rng.chance(25) {
            *self.rng.pick(&[min, max])
        } else {
            min + self.rng.below(max.saturating_sub(min) + 1)
        };
        let alphabet: Vec<char> = "abcXYZ019 -_éß".chars().collect();
        Value::String((0..n).map(|_| *self.rng.pick(&alphabet)).collect())
    }

    fn bounds(&self, s: &Value, integer: bool) -> (f64, f64) {
        let step = if integer { 1.0 } else { 0.5 };
        let lo = s.get("minimum").and_then(Value::as_f64).or_else(|| {
            s.get("exclusiveMinimum")
                .and_then(Value::as_f64)
                .map(|m| m + step)
        });
        let hi = s.get("maximum").and_then(Value::as_f64).or_else(|| {
            s.get("exclusiveMaximum")
                .and_then(Value::as_f64)
                .map(|m| m - step)
        });
        let lo = lo.unwrap_or_else(|| hi.map_or(-1000.0, |h| h - 2000.0));
        let hi = hi.unwrap_or(lo + 2000.0);
        (lo, hi.max(lo))
    }

    fn integer(&mut self, s: &Value) -> Value {
        let (lo, hi) = self.bounds(s, true);
        let (lo, hi) = (lo.ceil(), hi.floor());
        let mut v = match self.rng.below(10) {
            0 => lo,
            1 => hi,
            _ => lo + self.rng.below(((hi - lo).min(1e12)) as u64 + 1) as f64,
        };
        if let Some(m) = s
            .get("multipleOf")
            .and_then(Value::as_f64)
            .filter(|m| *m > 0.0)
        {
            v = (v / m).ceil() * m;
        }
        let unbounded = s.get("minimum").is_none()
            && s.get("maximum").is_none()
            && s.get("exclusiveMinimum").is_none()
            && s.get("exclusiveMaximum").is_none()
            && s.get("format").is_none()
            && s.get("multipleOf").is_none();
        if unbounded && self.rng.chance(5) {
            // Beyond 32 and 64 bits: JSON Schema sets no limit.
            return match self.rng.below(3) {
                0 => json!(4_294_967_296_i64),
                1 => json!(9_223_372_036_854_775_807_i64),
                _ => json!(18_446_744_073_709_551_615_u64),
            };
        }
        if v.abs() < 9e15 {
            if self.rng.chance(8) {
                // An integer written with a fraction of zero.
                return Value::Number(Number::from_f64(v).unwrap());
            }
            json!(v as i64)
        } else {
            Value::Number(Number::from_f64(v).unwrap_or_else(|| Number::from(0)))
        }
    }

    fn number(&mut self, s: &Value) -> Value {
        let (lo, hi) = self.bounds(s, false);
        let v = match self.rng.below(8) {
            0 => lo,
            1 => hi,
            2 => (lo + (hi - lo) / 2.0).round(),
            _ => lo + (hi - lo) * (self.rng.below(1000) as f64 / 1000.0),
        };
        let v = match s
            .get("multipleOf")
            .and_then(Value::as_f64)
            .filter(|m| *m > 0.0)
        {
            Some(m) => (v / m).ceil() * m,
            None => v,
        };
        if v.fract() == 0.0 && v.abs() < 9e15 && self.rng.chance(50) {
            return json!(v as i64);
        }
        Value::Number(Number::from_f64(v).unwrap_or_else(|| Number::from(0)))
    }

    /// `v` (meant to conform to `s`) with one rule broken somewhere, as far
    /// as a mutation can tell.
    pub fn mutate(&mut self, s: &Value, v: &Value) -> Value {
        let mut nodes = Vec::new();
        let flat = self.flat(s);
        self.nodes(&flat, v, String::new(), &mut nodes, 0);
        let (at, schema) = self.rng.pick(&nodes).clone();
        let mut out = v.clone();
        let target = if at.is_empty() {
            &mut out
        } else {
            out.pointer_mut(&at).expect("a node of the value")
        };
        *target = self.broken(&schema, target);
        out
    }

    fn nodes(&self, s: &Value, v: &Value, at: String, out: &mut Vec<(String, Value)>, depth: u32) {
        out.push((at.clone(), s.clone()));
        if depth > 8 {
            return;
        }
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    let sub = s
                        .get("properties")
                        .and_then(|p| p.get(k))
                        .or_else(|| s.get("additionalProperties").filter(|a| a.is_object()));
                    if let Some(sub) = sub {
                        let sub = self.flat_owned(sub);
                        let key = k.replace('~', "~0").replace('/', "~1");
                        self.nodes(&sub, child, format!("{at}/{key}"), out, depth + 1);
                    }
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    let sub = match (s.get("prefixItems"), s.get("items")) {
                        (Some(Value::Array(t)), rest) => t.get(i).or(rest),
                        (None, Some(Value::Array(t))) => {
                            t.get(i).or_else(|| s.get("additionalItems"))
                        }
                        (_, other) => other,
                    };
                    if let Some(sub) = sub {
                        let sub = self.flat_owned(sub);
                        self.nodes(&sub, child, format!("{at}/{i}"), out, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    fn broken(&mut self, s: &Value, v: &Value) -> Value {
        // A number that varies the mutations below, so that one rule can be
        // broken in many distinct ways (a small value space runs out of
        // fixed mutations long before the floor).
        let k = self.rng.below(1000);
        let mut options: Vec<Value> = vec![Value::Null, self.other_type(v)];
        if let Value::Object(m) = v {
            let required: Vec<&str> = required(s)
                .into_iter()
                .filter(|r| m.contains_key(*r))
                .collect();
            if !required.is_empty() {
                let mut less = m.clone();
                less.remove(*self.rng.pick(&required));
                // Where other names are allowed, one more breaks nothing.
                if s.get("additionalProperties") != Some(&Value::Bool(false)) && self.rng.chance(50)
                {
                    less.insert(format!("zzOther{k}"), json!(format!("v{k}")));
                }
                options.push(Value::Object(less));
            }
            let mut more = m.clone();
            more.insert("zzUnexpected".into(), json!(1));
            options.push(Value::Object(more));
            let mut more = m.clone();
            more.insert(format!("zzUnexpected{k}"), self.any_scalar());
            options.push(Value::Object(more));
            // The fields as a sequence (serde structs read those too).
            options.push(Value::Array(m.values().cloned().collect()));
        }
        if s.get("enum").is_some() || s.get("const").is_some() {
            options.push(json!("not-one-of-them"));
            options.push(json!(format!("not-one-of-them-{k}")));
            options.push(json!(12345));
            options.push(json!(100_000 + k));
            // A near miss: a permitted string with something after it.
            if let Value::String(text) = v {
                options.push(json!(format!("{text}-{k}")));
            }
        }
        match v {
            Value::Number(n) => {
                let x = n.as_f64().unwrap_or(0.0);
                let far = k as f64;
                for key in ["minimum", "exclusiveMinimum"] {
                    if let Some(m) = s.get(key).and_then(Value::as_f64) {
                        options.push(num(m - 1.0));
                        options.push(num(m - 1.0 - far));
                        options.push(num(m));
                    }
                }
                for key in ["maximum", "exclusiveMaximum"] {
                    if let Some(m) = s.get(key).and_then(Value::as_f64) {
                        options.push(num(m + 1.0));
                        options.push(num(m + 1.0 + far));
                        options.push(num(m));
                    }
                }
                if let Some(m) = s.get("multipleOf").and_then(Value::as_f64) {
                    options.push(num(x + m / 2.0));
                }
                options.push(num(x + 0.5));
                options.push(num(x + 0.5 + far));
                options.push(json!(1e30));
                options.push(json!(-9_223_372_036_854_775_807_i64 - 1));
            }
            Value::String(text) => {
                if let Some(m) = s
                    .get("minLength")
                    .and_then(Value::as_u64)
                    .filter(|m| *m > 0)
                {
                    options.push(Value::String("a".repeat(m as usize - 1)));
                }
                if let Some(m) = s.get("maxLength").and_then(Value::as_u64)
                    && m < 10_000
                {
                    options.push(Value::String("b".repeat(m as usize + 1)));
                }
                if let Some(m) = s.get("maxLength").and_then(Value::as_u64)
                    && m < 10_000
                {
                    options.push(Value::String(format!(
                        "{text}{}",
                        "c".repeat(m as usize + 1 + k as usize % 7)
                    )));
                }
                if s.get("pattern").is_some() {
                    options.push(Value::String(format!("{text}!~")));
                    options.push(Value::String(format!("{text}!~{k}")));
                    options.push(Value::String(String::new()));
                    // Where ECMA-262 and other dialects part: `.` stops
                    // at these, `\s` takes the Unicode spaces.
                    let len = text.chars().count() as u64;
                    let middle = if self.rng.chance(50) {
                        len / 2
                    } else {
                        k % (len + 1)
                    };
                    for odd in ["\r", "\u{2028}", "\u{a0}", "\u{3000}"] {
                        let at = text
                            .char_indices()
                            .nth(middle as usize)
                            .map_or(text.len(), |(i, _)| i);
                        let mut t = text.to_string();
                        t.insert_str(at, odd);
                        options.push(Value::String(t));
                    }
                }
                if let Some(f) = s.get("format").and_then(Value::as_str) {
                    options.push(json!("not-a-value"));
                    options.push(json!(format!("not-a-value-{k}")));
                    let near = match f {
                        "date-time" => vec![
                            "2024-05-06 07:08:09Z",
                            "2024-05-06T07:08:09",
                            "2024-13-06T07:08:09Z",
                        ],
                        "date" => vec!["2024-5-6", "2024-02-30", "20240506"],
                        "time" => vec!["7:08:09Z", "07:08:09", "25:00:00Z"],
                        "uuid" => vec![
                            "6ba7b8109dad11d180b400c04fd430c8",
                            "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}",
                            "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
                        ],
                        "email" => vec!["a@", "@b.example", "a b@c.example"],
                        "uri" => vec!["/relative/path", "no scheme here"],
                        "byte" => vec!["not base64!", "abc"],
                        _ => vec![],
                    };
                    options.extend(near.into_iter().map(|x| json!(x)));
                }
            }
            Value::Array(a) => {
                if let Some(m) = s.get("maxItems").and_then(Value::as_u64) {
                    let mut longer = a.clone();
                    while longer.len() as u64 <= m.min(1000) {
                        longer.push(a.first().cloned().unwrap_or(json!(1)));
                    }
                    options.push(Value::Array(longer));
                }
                if let Some(m) = s.get("minItems").and_then(Value::as_u64).filter(|m| *m > 0) {
                    options.push(Value::Array(a[..(m as usize - 1).min(a.len())].to_vec()));
                }
                if let Some(first) = a.first() {
                    let mut dup = a.clone();
                    dup.push(first.clone());
                    options.push(Value::Array(dup));
                    let mut wrong = a.clone();
                    wrong.push(self.other_type(first));
                    options.push(Value::Array(wrong));
                }
            }
            _ => {}
        }
        self.rng.pick(&options).clone()
    }

    fn other_type(&mut self, v: &Value) -> Value {
        match v {
            Value::Object(m) => match self.rng.below(4) {
                0 | 1 => Value::Array(m.values().cloned().collect()),
                2 => json!(format!("an object was expected {}", self.rng.below(1000))),
                _ => json!(self.rng.below(1000)),
            },
            Value::Array(_) => json!({ "0": 1 }),
            Value::String(_) => json!(self.rng.below(1000)),
            Value::Number(_) if self.rng.chance(50) => json!("7"),
            Value::Number(_) => json!(format!("seven{}", self.rng.below(1000))),
            Value::Bool(b) => json!(if *b { "true" } else { "false" }),
            Value::Null if self.rng.chance(50) => json!(self.rng.below(1000)),
            Value::Null => json!(format!("not-null-{}", self.rng.below(1000))),
        }
    }
}

/// The names a schema's `required` lists.
pub fn required(s: &Value) -> Vec<&str> {
    s.get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn num(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        json!(x as i64)
    } else {
        Value::Number(Number::from_f64(x).unwrap_or_else(|| Number::from(0)))
    }
}

/// A string that a simple regular expression matches: literals, escapes
/// (`\d`, `\w`, `\s`, `\.`), classes (`[a-z0-9_]`, negated ones left
/// out), groups with `|`, and the quantifiers `? * + {n} {n,m}`. `None`
/// for what it does not read (the caller falls back to random text).
pub fn from_pattern(pattern: &str, rng: &mut Rng) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut out = String::new();
    alternation(&chars, &mut i, rng, &mut out, 0)?;
    (i == chars.len()).then_some(out)
}

fn alternation(
    c: &[char],
    i: &mut usize,
    rng: &mut Rng,
    out: &mut String,
    depth: u32,
) -> Option<()> {
    if depth > 8 {
        return None;
    }
    // Collect the alternatives as index ranges, then generate one.
    let mut branches = vec![*i];
    let mut level = 0;
    let mut j = *i;
    while j < c.len() {
        match c[j] {
            '\\' => j += 1,
            '[' => {
                while j < c.len() && c[j] != ']' {
                    if c[j] == '\\' {
                        j += 1;
                    }
                    j += 1;
                }
            }
            '(' => level += 1,
            ')' if level == 0 => break,
            ')' => level -= 1,
            '|' if level == 0 => branches.push(j + 1),
            _ => {}
        }
        j += 1;
    }
    let end = j;
    let pick = *rng.pick(&branches);
    let mut k = pick;
    let stop = branches
        .iter()
        .copied()
        .find(|b| *b > pick)
        .map_or(end, |b| b - 1);
    sequence(&c[..stop], &mut k, rng, out, depth)?;
    *i = end;
    Some(())
}

fn sequence(c: &[char], i: &mut usize, rng: &mut Rng, out: &mut String, depth: u32) -> Option<()> {
    while *i < c.len() {
        let mut piece = String::new();
        match c[*i] {
            '^' | '$' => {
                *i += 1;
                continue;
            }
            '(' => {
                *i += 1;
                if c.get(*i) == Some(&'?') {
                    if c.get(*i + 1) == Some(&':') {
                        *i += 2;
                    } else {
                        return None;
                    }
                }
                let mut inner = String::new();
                let mut k = *i;
                alternation(c, &mut k, rng, &mut inner, depth + 1)?;
                if c.get(k) != Some(&')') {
                    return None;
                }
                *i = k + 1;
                piece = inner;
            }
            '[' => {
                let (set, next) = class(c, *i + 1)?;
                *i = next;
                piece.push(*rng.pick(&set));
            }
            '\\' => {
                let e = *c.get(*i + 1)?;
                *i += 2;
                piece.push(match e {
                    'd' => *rng.pick(&['0', '3', '7', '9']),
                    'w' => *rng.pick(&['a', 'Z', '5', '_']),
                    // ECMA's `\s` is Unicode space too.
                    's' => *rng.pick(&[' ', ' ', '\t', '\u{a0}', '\u{3000}', '\u{feff}']),
                    'D' | 'W' | 'S' | 'b' | 'B' => return None,
                    other if other.is_ascii_alphanumeric() => return None,
                    other => other,
                });
            }
            '.' => {
                *i += 1;
                piece.push(*rng.pick(&['a', 'q', '1', '-', 'é', '\u{a0}']));
            }
            '*' | '+' | '?' | '{' | ')' | '|' => return None,
            ch => {
                *i += 1;
                piece.push(ch);
            }
        }
        // A quantifier repeats the piece (generated once: good enough for
        // the usual `[a-z]+` and `\d{3}`, since each repetition may
        // differ only in which member of a class it is).
        let (min, max) = match c.get(*i) {
            Some('?') => {
                *i += 1;
                (0, 1)
            }
            Some('*') => {
                *i += 1;
                (0, 3)
            }
            Some('+') => {
                *i += 1;
                (1, 3)
            }
            Some('{') => {
                let close = c[*i..].iter().position(|x| *x == '}')? + *i;
                let body: String = c[*i + 1..close].iter().collect();
                *i = close + 1;
                let (a, b) = match body.split_once(',') {
                    Some((a, "")) => (a.trim().parse().ok()?, a.trim().parse::<u64>().ok()? + 3),
                    Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
                    None => {
                        let n = body.trim().parse().ok()?;
                        (n, n)
                    }
                };
                (a, b)
            }
            _ => (1, 1),
        };
        if matches!(c.get(*i), Some('?') | Some('+')) {
            *i += 1; // lazy or possessive: the same strings
        }
        let n = min + rng.below(max.saturating_sub(min) + 1);
        for _ in 0..n.min(64) {
            out.push_str(&piece);
        }
    }
    Some(())
}

fn class(c: &[char], mut i: usize) -> Option<(Vec<char>, usize)> {
    if c.get(i) == Some(&'^') {
        return None;
    }
    let mut set = Vec::new();
    while i < c.len() && c[i] != ']' {
        let ch = if c[i] == '\\' {
            i += 1;
            match *c.get(i)? {
                'd' => {
                    set.extend(['0', '5', '9']);
                    i += 1;
                    continue;
                }
                'w' => {
                    set.extend(['a', 'Z', '_', '4']);
                    i += 1;
                    continue;
                }
                's' => ' ',
                other if other.is_ascii_alphanumeric() => return None,
                other => other,
            }
        } else {
            c[i]
        };
        if c.get(i + 1) == Some(&'-') && c.get(i + 2).is_some_and(|x| *x != ']') {
            let hi = c[i + 2];
            if hi < ch {
                return None;
            }
            set.push(ch);
            set.push(hi);
            let mid = char::from_u32((ch as u32 + hi as u32) / 2)?;
            set.push(mid);
            i += 3;
        } else {
            set.push(ch);
            i += 1;
        }
    }
    if set.is_empty() || c.get(i) != Some(&']') {
        return None;
    }
    Some((set, i + 1))
}

/// The validator's copy of a document: `format: int32`/`int64` on an
/// integer become the bounds they mean (the validator reads `format` on
/// strings only).
pub fn with_integer_formats(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let bounds = match m.get("format").and_then(Value::as_str) {
                Some("int32") => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
                Some("int64") => Some((i64::MIN, i64::MAX)),
                _ => None,
            };
            let integer = match m.get("type") {
                Some(Value::String(t)) => t == "integer",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
                _ => false,
            };
            if let Some((lo, hi)) = bounds
                && integer
            {
                m.entry("minimum").or_insert(Value::from(lo));
                m.entry("maximum").or_insert(Value::from(hi));
            }
            m.values_mut().for_each(with_integer_formats);
        }
        Value::Array(a) => a.iter_mut().for_each(with_integer_formats),
        _ => {}
    }
}

/// RFC 4122's string form, the only one JSON Schema's `uuid` format
/// allows (draft 7 itself does not name the format).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}
