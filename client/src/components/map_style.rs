//! How the map draws things, as plain functions the native tests cover:
//! each organisation kind's shape and colour, a node's radius from its
//! degree, each work-plan line's colour, and the SVG path of every shape.
//! Colours are written on the elements themselves (not in style.css) so an
//! exported SVG looks the same outside the app.

use enlace_shared::schema::ORGANISATION_KINDS;

/// The shape an organisation is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Circle,
    Square,
    Triangle,
    Hexagon,
}

/// Each organisation kind's shape and colour, in the schema's order.
pub const KIND_STYLES: [(&str, Shape, &str); 9] = [
    ("embassy", Shape::Circle, "#2f6db5"),
    ("cooperation_agency", Shape::Circle, "#1f8a8a"),
    ("international_organisation", Shape::Hexagon, "#6b3fa0"),
    ("un_entity", Shape::Hexagon, "#3b8fd9"),
    ("private_sector_chamber", Shape::Square, "#c46a00"),
    ("company", Shape::Square, "#a8821b"),
    ("government_institution", Shape::Triangle, "#b3261e"),
    ("civil_society", Shape::Circle, "#3f8f3a"),
    ("academia", Shape::Triangle, "#7a5230"),
];

/// An organisation of a kind the map does not know.
const OTHER_KIND: (Shape, &str) = (Shape::Circle, "#7d8596");

/// The colours of work-plan lines, taken in turn by the lines' order.
pub const LINE_COLOURS: [&str; 8] = [
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42a5a5", "#d4a017", "#808000",
];

/// A tie on no line.
pub const NO_LINE_COLOUR: &str = "#9aa1ad";

pub fn kind_style(kind: &str) -> (Shape, &'static str) {
    KIND_STYLES
        .iter()
        .find(|(slug, _, _)| *slug == kind)
        .map_or(OTHER_KIND, |(_, shape, colour)| (*shape, *colour))
}

/// The colour of the line at `position` in the lines' order.
pub fn line_colour(position: Option<usize>) -> &'static str {
    position.map_or(NO_LINE_COLOUR, |position| {
        LINE_COLOURS[position % LINE_COLOURS.len()]
    })
}

/// An organisation's radius: grows with the square root of its degree, capped.
pub fn organisation_radius(degree: usize) -> f64 {
    (8.0 + 4.0 * (degree as f64).sqrt()).min(26.0)
}

/// A tie node's half-size.
pub const TIE_SIZE: f64 = 5.0;

/// The SVG path of `shape` of radius `radius` centred on the origin.
pub fn shape_path(shape: Shape, radius: f64) -> String {
    let r = radius;
    match shape {
        Shape::Circle => format!("M{} 0A{r} {r} 0 1 0 {} 0A{r} {r} 0 1 0 {} 0Z", -r, r, -r),
        Shape::Square => {
            let s = r * 0.85;
            format!("M{} {}H{s}V{s}H{}Z", -s, -s, -s)
        }
        Shape::Triangle => format!("M0 {}L{} {}L{} {}Z", -r, r * 0.95, r * 0.7, -r * 0.95, r * 0.7),
        Shape::Hexagon => {
            let points: Vec<String> = (0..6)
                .map(|corner| {
                    let angle = std::f64::consts::PI / 3.0 * f64::from(corner);
                    format!("{:.2} {:.2}", r * angle.cos(), r * angle.sin())
                })
                .collect();
            format!("M{}Z", points.join("L"))
        }
    }
}

/// A diamond (an alliance).
pub fn diamond_path(size: f64) -> String {
    format!("M0 {}L{size} 0L0 {size}L{} 0Z", -size, -size)
}

/// Every organisation kind has a style of its own in the legend.
pub fn every_kind_is_styled() -> bool {
    ORGANISATION_KINDS
        .iter()
        .all(|choice| KIND_STYLES.iter().any(|(slug, _, _)| *slug == choice.slug))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_look_and_unknown_kinds_a_neutral_one() {
        assert!(every_kind_is_styled());
        let mut looks: Vec<(Shape, &str)> = KIND_STYLES
            .iter()
            .map(|(_, shape, colour)| (*shape, *colour))
            .collect();
        looks.dedup();
        assert_eq!(looks.len(), KIND_STYLES.len());
        assert_eq!(kind_style("nonsense"), OTHER_KIND);
    }

    #[test]
    fn radius_grows_with_degree_up_to_a_cap_and_lines_cycle_their_colours() {
        assert!(organisation_radius(0) < organisation_radius(1));
        assert!(organisation_radius(4) < organisation_radius(9));
        assert_eq!(organisation_radius(10_000), 26.0);
        assert_eq!(line_colour(Some(0)), line_colour(Some(LINE_COLOURS.len())));
        assert_ne!(line_colour(Some(0)), line_colour(Some(1)));
        assert_eq!(line_colour(None), NO_LINE_COLOUR);
    }

    #[test]
    fn shapes_are_closed_paths() {
        for shape in [Shape::Circle, Shape::Square, Shape::Triangle, Shape::Hexagon] {
            let path = shape_path(shape, 10.0);
            assert!(path.starts_with('M') && path.ends_with('Z'), "{path}");
        }
        assert_eq!(diamond_path(5.0), "M0 -5L5 0L0 5L-5 0Z");
    }
}
