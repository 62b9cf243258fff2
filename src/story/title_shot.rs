//! The title card from the film's own title treatment. Real trailers end on the film's title design, not on a
//! typeset card; when the analysis found the film's title on screen (a `title` text span: words that spell the
//! title), its shot becomes the card (`--title-card film`, the default). The stretch used is the title's span
//! reaching to its shot's cuts within `edges::TEXT_REACH_S` (its fade in and out belong to it), never past them;
//! the timeline takes the card's length from its middle. Otherwise, or with `--title-card text`, the typographic
//! card stays. Either way the manifest says which and why (`title_card_reason`), and the report shows it.

use serde::{Deserialize, Serialize};

use super::edges::TEXT_REACH_S;
use super::manifest::TitleShot;
use crate::ingest::{Shot, TextKind, TextSpan};

/// The film's title must be up at least this share of the card's length: the timeline may shorten a card to
/// 60 % of its booked length to land on a beat, and the last frame is held for the rest.
const MIN_SHARE: f64 = 0.6;

/// `--title-card`: what the title card shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TitleCard {
    /// The film's own title shot when it was found, else the typographic card.
    #[default]
    Film,
    /// Always the typographic card.
    Text,
}

impl TitleCard {
    pub fn parse(s: &str) -> Result<TitleCard, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "film" => Ok(TitleCard::Film),
            "text" => Ok(TitleCard::Text),
            _ => Err(format!(
                "'{s}' is not a title card; use film (the film's own title shot when it is found) or text (the \
                 typeset card)"
            )),
        }
    }
}

/// The film's title shot for a card of `card_s` seconds, or `None`; and why, for the manifest and the report.
pub(crate) fn choose(choice: TitleCard, text: &[TextSpan], shots: &[Shot], card_s: f64) -> (Option<TitleShot>, String) {
    if choice == TitleCard::Text {
        return (None, "the typeset card, as asked (--title-card text)".into());
    }
    let Some(title) = text
        .iter()
        .filter(|s| s.kind == TextKind::Title)
        .max_by(|a, b| (a.end_s - a.start_s).total_cmp(&(b.end_s - b.start_s)))
    else {
        return (
            None,
            "the typeset card: the film's own title was not found on screen (no text there spells the title)".into(),
        );
    };
    let mid = (title.start_s + title.end_s) / 2.0;
    let (shot_start, shot_end) = shots
        .iter()
        .find(|s| s.start_s <= mid && mid < s.end_s)
        .map_or((title.start_s, title.end_s), |s| (s.start_s, s.end_s));
    let from = if title.start_s - shot_start <= TEXT_REACH_S {
        shot_start
    } else {
        title.start_s
    };
    let to = if shot_end - title.end_s <= TEXT_REACH_S {
        shot_end
    } else {
        title.end_s
    };
    let (from, to) = (from.max(shot_start), to.min(shot_end));
    let words = title.words.as_deref().unwrap_or("the title");
    if to - from < MIN_SHARE * card_s {
        return (
            None,
            format!(
                "the typeset card: the film's title (\"{words}\", {from:.1}–{to:.1} s) is up for {:.1} s, too short \
                 for a {card_s:.1} s card",
                to - from
            ),
        );
    }
    let shot = TitleShot {
        source_start_s: round_ms(from),
        source_end_s: round_ms(to),
    };
    (
        Some(shot),
        format!("the film's own title treatment (\"{words}\", {from:.1}–{to:.1} s of the film)"),
    )
}

fn round_ms(t: f64) -> f64 {
    (t * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Placement;

    fn span(kind: TextKind, a: f64, b: f64) -> TextSpan {
        TextSpan {
            kind,
            start_s: a,
            end_s: b,
            bbox: [0.3, 0.4, 0.7, 0.5],
            placement: Placement::Centre,
            words: Some("TEARS OF STEEL".into()),
        }
    }

    #[test]
    fn the_title_shot_reaches_to_its_fades_and_stops_at_its_cuts() {
        let shots = [
            Shot::at_24fps(0, 0.0, 64.86),
            Shot::at_24fps(1, 64.86, 69.94),
            Shot::at_24fps(2, 69.94, 80.0),
        ];
        let text = [span(TextKind::Caption, 42.0, 45.5), span(TextKind::Title, 65.5, 70.0)];
        let (s, why) = choose(TitleCard::Film, &text, &shots, 5.0);
        assert_eq!(
            s,
            Some(TitleShot {
                source_start_s: 64.86,
                source_end_s: 69.94
            })
        );
        assert!(why.contains("TEARS OF STEEL"), "{why}");
        // Asked for the typeset card, or nothing spells the title, or it is up too briefly: the typeset card.
        assert_eq!(choose(TitleCard::Text, &text, &shots, 5.0).0, None);
        assert_eq!(choose(TitleCard::Film, &text[..1], &shots, 5.0).0, None);
        let (s, why) = choose(TitleCard::Film, &text, &shots, 9.0);
        assert!(s.is_none() && why.contains("too short"), "{why}");
    }

    #[test]
    fn a_title_over_a_long_shot_keeps_to_its_own_span() {
        let shots = [Shot::at_24fps(0, 0.0, 100.0)];
        let (s, _) = choose(TitleCard::Film, &[span(TextKind::Title, 40.0, 46.0)], &shots, 5.0);
        assert_eq!(
            s,
            Some(TitleShot {
                source_start_s: 40.0,
                source_end_s: 46.0
            })
        );
    }

    #[test]
    fn the_choice_parses() {
        assert_eq!(TitleCard::parse(" Film "), Ok(TitleCard::Film));
        assert_eq!(TitleCard::parse("text"), Ok(TitleCard::Text));
        assert!(TitleCard::parse("logo").unwrap_err().contains("film"));
    }
}
