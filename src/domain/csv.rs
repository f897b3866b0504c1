//! CSV as imports and exports use it (RFC 4180): fields separated by commas, quoted with `"`
//! when they hold a comma, a quote or a line break (a quote inside doubled), lines ended by LF
//! or CRLF; money as currency units with two decimals.

/// The records of `text`, each a list of fields; a blank line is skipped. Errors name the line.
pub fn records(text: &str) -> Result<Vec<Vec<String>>, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let (mut quoted, mut was_quoted, mut line) = (false, false, 1usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            '"' => return Err((line, "has a quote inside an unquoted field".into())),
            ',' => {
                record.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                if !(record.len() == 1 && record[0].trim().is_empty() && !was_quoted) {
                    out.push(std::mem::take(&mut record));
                }
                record.clear();
                was_quoted = false;
                line += 1;
            }
            c if was_quoted => return Err((line, format!("has {c:?} after a closing quote"))),
            c => field.push(c),
        }
    }
    if quoted {
        return Err((line, "has a quote that is never closed".into()));
    }
    if !field.is_empty() || !record.is_empty() || was_quoted {
        record.push(field);
        out.push(record);
    }
    Ok(out)
}

/// One record, ended by CRLF (as RFC 4180 has it).
pub fn record(fields: &[String]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if f.contains([',', '"', '\n', '\r']) || f.starts_with(' ') || f.ends_with(' ') {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push_str("\r\n");
    out
}

/// Currency units with at most two decimals (`19.99`, `20`, `0.5`) → cents; never negative.
pub fn cents(text: &str) -> Result<i64, String> {
    let bad = || "must be an amount such as 19.99 (at most two decimals, not negative)".to_owned();
    let (units, fraction) = text.split_once('.').unwrap_or((text, ""));
    if units.is_empty() && fraction.is_empty()
        || !units.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 2
        || (text.contains('.') && fraction.is_empty())
    {
        return Err(bad());
    }
    let units: i64 = if units.is_empty() { 0 } else { units.parse().map_err(|_| bad())? };
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    units.checked_mul(100).and_then(|c| c.checked_add(fraction)).ok_or_else(bad)
}

/// Cents → currency units with two decimals.
pub fn units(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quoted_fields_and_line_ends() {
        let text = "a,b,c\r\n1,\"x, \"\"y\"\"\",\n\n2,\"two\nlines\",3";
        assert_eq!(
            records(text).unwrap(),
            vec![vec!["a", "b", "c"], vec!["1", "x, \"y\"", ""], vec!["2", "two\nlines", "3"],]
        );
        assert_eq!(records("\u{feff}a\n").unwrap(), vec![vec!["a"]]);
        assert_eq!(records("a,\"b\n").unwrap_err().0, 2);
        assert!(records("a,b\"c\n").is_err());
        assert!(records("\"a\"b\n").is_err());
    }

    #[test]
    fn money_has_two_decimals() {
        assert_eq!(cents("19.99"), Ok(1999));
        assert_eq!(cents("20"), Ok(2000));
        assert_eq!(cents("0.5"), Ok(50));
        assert_eq!(cents(".25"), Ok(25));
        for bad in ["", "-1", "1.999", "1,5", "abc", "1.", ".", "1e3", "99999999999999999999"] {
            assert!(cents(bad).is_err(), "{bad}");
        }
        assert_eq!(units(1999), "19.99");
        assert_eq!(units(5), "0.05");
        assert_eq!(units(-150), "-1.50");
    }

    proptest! {
        #[test]
        fn written_records_read_back(fields in proptest::collection::vec("\\PC{0,12}", 1..6)) {
            let text = record(&fields);
            let back = records(&text).unwrap();
            if fields.len() == 1 && fields[0].is_empty() {
                prop_assert!(back.is_empty());
            } else {
                prop_assert_eq!(back, vec![fields]);
            }
        }

        #[test]
        fn amounts_read_back(c in 0..i64::MAX / 100) {
            prop_assert_eq!(cents(&units(c)), Ok(c));
        }
    }
}
