//! The annual report in real Chromium over the demo roundtable
//! (`tests/js/browser-report.mjs`): the secretariat creates, writes and
//! issues the 2020–2021 report and prints its print view to PDF; a member
//! sees it read-only. Here, the PDF's pages are turned into images with
//! poppler's `pdftoppm -png -r 50` (`target/screenshots/report-2020-2021-page-N.png`)
//! and read with `pdftotext`: at least four pages, the cover with the title
//! and period and no page number, the table of contents on page 2, page
//! numbers `n / N` in the footers after it, and no blank page.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, ensure};
use enlace_shared::Language;
use enlace_shared::refusal::Refusal;
use enlace_shared::roles::Role;
use enlace_tests::browser::{
    ADMIN_NAME, check_screenshot, ensure_client_bundle, fresh_screenshot, run_script,
};
use enlace_tests::{ADMIN_EMAIL, ServerProcess, TEST_PASSWORD};

/// The share of a page image's pixels that must be other than white: a
/// page with only a heading, a line of text and its footer is about
/// 0.2 % at 50 dpi; one with nothing but its page number, about 0.02 %.
const MIN_INK_SHARE: f64 = 0.001;

#[tokio::test]
async fn the_secretariat_issues_and_prints_the_2020_2021_report_and_a_member_reads_it() -> anyhow::Result<()>
{
    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start_unprovisioned_with(data.path(), &["--demo"]).await?;
    let secretariat = server.complete_setup(ADMIN_EMAIL).await?;
    server
        .create_person(&secretariat, "ana@aecid.es", "Ana Miembro", Role::Member)
        .await?;
    ensure_client_bundle(&server).await?;
    for tool in ["pdftoppm", "pdftotext"] {
        ensure!(
            Command::new(tool).arg("-v").output().is_ok(),
            "`{tool}` is missing: install poppler-utils (cargo xtask test does)"
        );
    }

    let screenshot = fresh_screenshot("report.png")?;
    let member_screenshot = fresh_screenshot("report-member.png")?;
    let pdf = fresh_screenshot("report-2020-2021.pdf")?;
    let download = fresh_screenshot("report-2020-2021-download.html")?;
    let page_prefix = pdf.with_file_name("report-2020-2021-page");
    for stale in page_images(&page_prefix)? {
        std::fs::remove_file(stale)?;
    }
    run_script(
        "browser-report.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_PASSWORD", TEST_PASSWORD),
            ("ENLACE_SECRETARIAT_EMAIL", ADMIN_EMAIL),
            ("ENLACE_SECRETARIAT_NAME", ADMIN_NAME),
            ("ENLACE_MEMBER_EMAIL", "ana@aecid.es"),
            ("ENLACE_MEMBER_NAME", "Ana Miembro"),
            ("ENLACE_PDF", &pdf.to_string_lossy()),
            ("ENLACE_DOWNLOAD", &download.to_string_lossy()),
            (
                "ENLACE_READ_ONLY_REASON",
                Refusal::Reports.text(Language::Spanish),
            ),
        ],
    )
    .await?;
    check_screenshot(&member_screenshot)?;
    server.stop().await?;

    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "50"])
        .arg(&pdf)
        .arg(&page_prefix)
        .status()
        .context("cannot run pdftoppm")?;
    ensure!(status.success(), "pdftoppm failed: {status}");
    let pages = page_images(&page_prefix)?;
    let count = pages.len();
    ensure!(count >= 4, "the report printed on {count} pages");

    let cover = page_text(&pdf, 1)?;
    for expected in [
        "Informe anual 2020–2021",
        "1 de julio de 2020 – 30 de junio de 2021",
        "Emitido el",
    ] {
        ensure!(cover.contains(expected), "the cover lacks {expected:?}:\n{cover}");
    }
    ensure!(
        !cover.contains(&format!("1 / {count}")),
        "the cover has a page number:\n{cover}"
    );
    let contents = page_text(&pdf, 2)?;
    for expected in ["Contenido", "Reuniones celebradas", "Acciones de seguimiento"] {
        ensure!(
            contents.contains(expected),
            "page 2 lacks {expected:?}:\n{contents}"
        );
    }
    for page in 3..=count {
        let text = page_text(&pdf, page)?;
        ensure!(
            text.contains(&format!("{page} / {count}")),
            "page {page} has no footer `{page} / {count}`:\n{text}"
        );
    }
    let meetings = (3..=count)
        .map(|page| page_text(&pdf, page))
        .collect::<anyhow::Result<Vec<_>>>()?
        .join("\n");
    ensure!(
        meetings.contains("Primera plenaria de la presidencia de España")
            && meetings.contains("Este informe recoge el trabajo de la Mesa"),
        "the printed report lacks the meetings or the introduction"
    );

    let mut shares = Vec::new();
    for (index, image) in pages.iter().enumerate() {
        let share = ink_share(image)?;
        ensure!(
            share > MIN_INK_SHARE,
            "page {} ({}) is blank: {:.4} % of its pixels are not white",
            index + 1,
            image.display(),
            share * 100.0
        );
        shares.push(format!("{:.2} %", share * 100.0));
    }
    eprintln!(
        "report: {count} pages, {} bytes of PDF, ink per page: {}",
        std::fs::metadata(&pdf)?.len(),
        shares.join(", ")
    );
    Ok(())
}

/// The page images `pdftoppm` wrote for `prefix` (`<prefix>-1.png`, or
/// `<prefix>-01.png` from ten pages on), in page order.
fn page_images(prefix: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let directory = prefix.parent().context("no directory")?;
    let stem = format!("{}-", prefix.file_name().context("no name")?.to_string_lossy());
    let mut pages: Vec<(u32, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(directory)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(number) = name
            .strip_prefix(&stem)
            .and_then(|rest| rest.strip_suffix(".png"))
            .and_then(|number| number.parse().ok())
        {
            pages.push((number, path));
        }
    }
    pages.sort();
    Ok(pages.into_iter().map(|(_, path)| path).collect())
}

/// The text of one page of `pdf`, as `pdftotext -layout` reads it.
fn page_text(pdf: &Path, page: usize) -> anyhow::Result<String> {
    let page = page.to_string();
    let output = Command::new("pdftotext")
        .args(["-layout", "-f", &page, "-l", &page])
        .arg(pdf)
        .arg("-")
        .output()
        .context("cannot run pdftotext")?;
    ensure!(output.status.success(), "pdftotext failed on page {page}");
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The share of the pixels of an 8-bit PNG that are not (nearly) white.
fn ink_share(path: &Path) -> anyhow::Result<f64> {
    let image = decode_png(&std::fs::read(path)?).with_context(|| path.display().to_string())?;
    let colour = image.channels.min(3);
    let inked = image
        .pixels
        .chunks_exact(image.channels)
        .filter(|pixel| pixel[..colour].iter().any(|value| *value < 200))
        .count();
    Ok(inked as f64 / (image.width * image.height) as f64)
}

struct Image {
    width: usize,
    height: usize,
    channels: usize,
    pixels: Vec<u8>,
}

/// Decodes a PNG (what `pdftoppm -png` writes) to 8-bit samples with the `png` crate.
fn decode_png(bytes: &[u8]) -> anyhow::Result<Image> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info()?;
    let mut pixels = vec![0u8; reader.output_buffer_size().context("image too large")?];
    let frame = reader.next_frame(&mut pixels)?;
    pixels.truncate(frame.buffer_size());
    Ok(Image {
        width: frame.width as usize,
        height: frame.height as usize,
        channels: frame.color_type.samples(),
        pixels,
    })
}
