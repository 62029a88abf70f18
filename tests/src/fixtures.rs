//! What several browser tests set up and check the same way: an
//! organisation the secretariat adds before the pages open, and who the
//! server's history says wrote a value.

use anyhow::ensure;
use enlace_shared::api::{HistoryPage, HistoryValue, Receipt, WorkspaceSummary, paths};
use enlace_shared::records::{self, Initial};
use enlace_shared::schema::Collection;

use crate::browser::ADMIN_NAME;
use crate::{Credential, RustClient, ServerProcess, random_record_id};

/// The secretariat adds one embassy per name (acknowledged by the server
/// before this returns); their ids, in order.
pub async fn add_embassies(
    server: &ServerProcess,
    workspace: &WorkspaceSummary,
    names: &[&str],
) -> anyhow::Result<Vec<String>> {
    let mut secretariat = RustClient::connect_named(server, workspace, ADMIN_NAME).await?;
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let id = random_record_id();
        secretariat
            .change(|document, authorship| {
                records::create_record(
                    document,
                    Collection::Organisations,
                    &id,
                    &[
                        ("name", Initial::Text((*name).to_owned())),
                        ("kind", Initial::Text("embassy".to_owned())),
                    ],
                    authorship,
                )
            })
            .await?;
        ids.push(id);
    }
    secretariat.wait_acknowledged().await?;
    Ok(ids)
}

/// One organisation's history, newest first, as `reader` may read it.
pub async fn organisation_history(
    server: &ServerProcess,
    workspace: &WorkspaceSummary,
    organisation: &str,
    reader: &Credential,
) -> anyhow::Result<HistoryPage> {
    let path = format!(
        "{}?collection=organisations&record={organisation}",
        paths::history(&workspace.id)
    );
    let (status, body, _) = server.api("GET", &path, Some(reader), None).await?;
    ensure!(status == 200, "history answered {status}: {body}");
    Ok(serde_json::from_value(body)?)
}

/// The receipts of the history's entries that set `field` to the text `value`.
pub fn receipts_setting<'a>(page: &'a HistoryPage, field: &str, value: &str) -> Vec<&'a Receipt> {
    page.entries
        .iter()
        .filter(|entry| {
            entry.records.iter().any(|record| {
                record.fields.iter().any(|change| {
                    change.field == field
                        && matches!(&change.after, Some(HistoryValue::Text { text, .. }) if text == value)
                })
            })
        })
        .map(|entry| &entry.receipt)
        .collect()
}
