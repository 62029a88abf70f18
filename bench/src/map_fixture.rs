//! The network map's large roundtable, shared by the Criterion `map`
//! benchmark and the browser figures (`enlace-map`): 500 organisations (five
//! kinds, one in four a member) on 8 work-plan lines, and 300 ties
//! (200 alliances, 100 collaborations, each with a main organisation, two to
//! four members and one line). Deterministic: the same seed draws the same
//! roundtable every time.

use automerge::Automerge;
use enlace_shared::model::Authorship;
use enlace_shared::records::{self, Initial};
use enlace_shared::schema::Collection;

pub const ORGANISATIONS: usize = 500;
pub const ALLIANCES: usize = 200;
pub const COLLABORATIONS: usize = 100;
pub const LINES: usize = 8;
const KINDS: [&str; 5] = [
    "embassy",
    "cooperation_agency",
    "private_sector_chamber",
    "company",
    "government_institution",
];
const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// A small deterministic generator (xorshift64*).
pub struct Random(pub u64);

impl Random {
    pub fn below(&mut self, limit: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % limit as u64) as usize
    }
}

fn text(value: &str) -> Initial {
    Initial::Text(value.to_owned())
}

/// The id of organisation `index` (`o0` … `o499`).
pub fn organisation_id(index: usize) -> String {
    format!("o{index}")
}

/// The id of work-plan line `index` (`l0` … `l7`).
pub fn line_id(index: usize) -> String {
    format!("l{index}")
}

/// The title of work-plan line `index`, as the map's filter lists it.
pub fn line_title(index: usize) -> String {
    format!("Line {index}")
}

/// The id of alliance `index` (`a0` … `a199`).
pub fn alliance_id(index: usize) -> String {
    format!("a{index}")
}

/// One tie (alliance or collaboration) `id` between random organisations.
pub fn tie(
    document: &mut Automerge,
    random: &mut Random,
    collection: Collection,
    id: &str,
    by: &Authorship<'_>,
) -> anyhow::Result<()> {
    let main = organisation_id(random.below(ORGANISATIONS));
    let members: Vec<String> = (0..2 + random.below(3))
        .map(|_| organisation_id(random.below(ORGANISATIONS)))
        .collect();
    let line = line_id(random.below(LINES));
    let (main_field, title_field, status) = match collection {
        Collection::Alliances => ("partner", "title", "signed"),
        _ => ("institution", "programme", "in_progress"),
    };
    records::create_record(
        document,
        collection,
        id,
        &[
            (title_field, text(id)),
            (main_field, text(&main)),
            ("members", Initial::List(members)),
            ("workplan_lines", Initial::List(vec![line])),
            ("status", text(status)),
        ],
        by,
    )?;
    Ok(())
}

/// Adds the whole roundtable to `document`, which holds a workspace.
pub fn fill(document: &mut Automerge, by: &Authorship<'_>) -> anyhow::Result<()> {
    let mut random = Random(SEED);
    for index in 0..ORGANISATIONS {
        records::create_record(
            document,
            Collection::Organisations,
            &organisation_id(index),
            &[
                ("name", text(&format!("Organisation {index}"))),
                ("kind", text(KINDS[index % KINDS.len()])),
                ("membership", text(if index % 4 == 0 { "member" } else { "none" })),
            ],
            by,
        )?;
    }
    for index in 0..LINES {
        records::create_record(
            document,
            Collection::WorkplanLines,
            &line_id(index),
            &[("title", text(&line_title(index))), ("period", text("2020–2021"))],
            by,
        )?;
    }
    for index in 0..ALLIANCES {
        tie(
            document,
            &mut random,
            Collection::Alliances,
            &alliance_id(index),
            by,
        )?;
    }
    for index in 0..COLLABORATIONS {
        tie(
            document,
            &mut random,
            Collection::Collaborations,
            &format!("k{index}"),
            by,
        )?;
    }
    Ok(())
}
