//! TwiML, the XML Twilio reads from our webhooks: written the way Twilio's own helper library
//! writes it (XML declaration, attributes in name order, `<Verb />` when empty, text escaped).

use std::fmt::Write;

/// One verb of a `<Response>`.
#[derive(Clone, Debug, PartialEq)]
pub enum Verb {
    /// An SMS reply.
    Message(String),
    /// Speech, in `language` (`ja-JP`, `en-US`, `cmn-CN`, `ko-KR`) by `voice` (`Polly.Mizuki`),
    /// said `times` times. Twilio: an unsupported voice/language pair fails the `<Say>`, so
    /// every one names its voice (BEHAVIOUR.md, "`<Say>`"; see `services::voice::Voices`).
    Say {
        text: String,
        language: &'static str,
        voice: String,
        times: u32,
    },
    /// Collects `digits` key presses and posts them to `action`; says `prompt` meanwhile.
    Gather {
        action: String,
        digits: u32,
        timeout_s: u32,
        prompt: Vec<Verb>,
    },
    Pause(u32),
    Redirect(String),
    Hangup,
}

/// A `<Response>` of `verbs`.
pub fn response(verbs: &[Verb]) -> String {
    let mut xml = String::from(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    element(&mut xml, "Response", &[], |xml| {
        verbs.iter().for_each(|v| verb(xml, v))
    });
    xml
}

fn verb(xml: &mut String, verb: &Verb) {
    match verb {
        Verb::Message(text) => text_element(xml, "Message", &[], text),
        Verb::Say {
            text,
            language,
            voice,
            times,
        } => {
            let times = times.to_string();
            // in name order, as Twilio's library writes them: language, loop, voice
            let mut attributes = vec![("language", *language), ("voice", voice.as_str())];
            if times != "1" {
                attributes.push(("loop", times.as_str()));
            }
            text_element(xml, "Say", &attributes, text)
        }
        Verb::Gather {
            action,
            digits,
            timeout_s,
            prompt,
        } => {
            let timeout = timeout_s.to_string();
            let digits = digits.to_string();
            let attributes = [
                ("action", action.as_str()),
                ("method", "POST"),
                ("numDigits", digits.as_str()),
                ("timeout", timeout.as_str()),
            ];
            element(xml, "Gather", &attributes, |xml| {
                prompt.iter().for_each(|v| self::verb(xml, v))
            })
        }
        Verb::Pause(seconds) => {
            let length = seconds.to_string();
            element(xml, "Pause", &[("length", length.as_str())], |_| {})
        }
        Verb::Redirect(url) => text_element(xml, "Redirect", &[("method", "POST")], url),
        Verb::Hangup => element(xml, "Hangup", &[], |_| {}),
    }
}

fn text_element(xml: &mut String, name: &str, attributes: &[(&str, &str)], text: &str) {
    element(xml, name, attributes, |xml| xml.push_str(&escape(text)))
}

/// `<name a="1" b="2">…</name>`, or `<name a="1" />` when nothing is inside.
fn element(
    xml: &mut String,
    name: &str,
    attributes: &[(&str, &str)],
    inside: impl FnOnce(&mut String),
) {
    let mut sorted = attributes.to_vec();
    sorted.sort_by_key(|(k, _)| *k);
    let _ = write!(xml, "<{name}");
    for (k, v) in sorted {
        let _ = write!(xml, " {k}=\"{}\"", escape(v));
    }
    let mut content = String::new();
    inside(&mut content);
    if content.is_empty() {
        xml.push_str(" />");
    } else {
        let _ = write!(xml, ">{content}</{name}>");
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // characters XML 1.0 cannot carry at all
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines of `testdata/twilio/twiml-reference.txt`, printed by Twilio's own library.
    fn reference() -> Vec<String> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/twilio/twiml-reference.txt"
        );
        std::fs::read_to_string(path)
            .expect("the TwiML reference")
            .lines()
            .map(|l| l.trim().trim_matches('\'').to_owned())
            .collect()
    }

    #[test]
    fn our_twiml_is_byte_for_byte_what_twilios_library_writes() {
        let reference = reference();
        assert_eq!(
            response(&[Verb::Message(
                "受付しました。順番が近づいたらお知らせします。".into()
            )]),
            reference[0]
        );
        assert_eq!(response(&[]), reference[1]);
        // Twilio's own: a voice with its language, then hang up
        assert_eq!(
            response(&[
                Verb::Say {
                    text: "まもなくあなたの順番です。".into(),
                    language: "ja-JP",
                    voice: "Polly.Mizuki".into(),
                    times: 1
                },
                Verb::Hangup
            ]),
            reference[2]
        );
        // a loop sits between language and voice, in name order
        let looped = response(&[Verb::Say {
            text: "まもなく & <順番>".into(),
            language: "ja-JP",
            voice: "Polly.Mizuki".into(),
            times: 2,
        }]);
        assert_eq!(
            looped,
            reference[3].replace(r#"loop="2">"#, r#"loop="2" voice="Polly.Mizuki">"#)
        );
        assert!(response(&[Verb::Hangup]).ends_with("<Response><Hangup /></Response>"));
    }

    #[test]
    fn a_gather_posts_one_key_to_its_action() {
        let xml = response(&[Verb::Gather {
            action: "/twilio/voice/gather?t=1&q=a".into(),
            digits: 1,
            timeout_s: 6,
            prompt: vec![Verb::Say {
                text: "1を押してください".into(),
                language: "ja-JP",
                voice: "Polly.Takumi".into(),
                times: 1,
            }],
        }]);
        assert!(xml.contains(r#"<Gather action="/twilio/voice/gather?t=1&amp;q=a" method="POST" numDigits="1" timeout="6"><Say language="ja-JP" voice="Polly.Takumi">1を押してください</Say></Gather>"#), "{xml}");
    }
}
