//! `enlace serve --demo` on an empty data directory starts with the MCIG as
//! published, seen over a real socket by the first secretariat account.

use enlace_shared::api::{WorkspaceSummary, paths};
use enlace_shared::records;
use enlace_shared::schema::Collection;
use enlace_tests::{RustClient, ServerProcess};

#[tokio::test]
async fn the_demo_roundtable_is_served_to_the_first_secretariat() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start_unprovisioned_with(data.path(), &["--demo"]).await?;
    let session = server.complete_setup("secretaria@unwomen.org").await?;
    let (status, body, _) = server.api("GET", paths::WORKSPACES, Some(&session), None).await?;
    assert_eq!(status, 200, "{body}");
    let workspace: WorkspaceSummary = serde_json::from_value(body[0].clone())?;
    let client = RustClient::connect_as(&server, &workspace, "secretaria", &session).await?;
    let document = client.document();

    let organisations = records::read_all(document, Collection::Organisations)?;
    let name_of = |id: &str| {
        organisations
            .iter()
            .find(|org| org.id == id)
            .map(|org| org.text("name").to_owned())
            .unwrap_or_default()
    };
    let secretariat = records::technical_secretariat(document).unwrap_or_default();
    assert_eq!(name_of(&secretariat), "ONU Mujeres");
    let mut presidencies: Vec<(String, String)> = records::read_all(document, Collection::PresidencyTerms)?
        .iter()
        .map(|term| {
            (
                term.text("start")[..4].to_owned(),
                name_of(term.text("organisation")),
            )
        })
        .collect();
    presidencies.sort();
    assert_eq!(
        presidencies,
        [
            ("2018".to_owned(), "Embajada de Francia".to_owned()),
            ("2019".to_owned(), "Embajada de Irlanda".to_owned()),
            ("2020".to_owned(), "Embajada de España".to_owned()),
        ]
    );
    let agencies: Vec<&str> = organisations
        .iter()
        .filter(|org| org.text("kind") == "cooperation_agency")
        .map(|org| org.text("acronym"))
        .collect();
    assert_eq!(agencies.len(), 3);
    for acronym in ["AECID", "GIZ", "USAID"] {
        assert!(agencies.contains(&acronym), "{acronym}");
    }
    assert_eq!(records::read_all(document, Collection::WorkplanLines)?.len(), 5);
    for alliance in records::read_all(document, Collection::Alliances)? {
        assert!(alliance.example, "invented records are marked as examples");
    }

    // Without --demo an empty data directory starts with an empty directory.
    let plain = tempfile::tempdir()?;
    let server = ServerProcess::start(plain.path()).await?;
    let workspace = server.first_workspace().await?;
    let client = RustClient::connect(&server, &workspace).await?;
    assert!(records::read_all(client.document(), Collection::Organisations)?.is_empty());
    Ok(())
}
