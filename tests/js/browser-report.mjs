// The annual report end to end over the demo roundtable: the secretariat
// creates the 2020–2021 report (the Spanish presidency's term), types an
// introduction, issues it, downloads the HTML and opens the print view,
// which is printed to PDF with the page size its stylesheet asks for. The
// print view must be the report alone and the same document as the
// download. A member sees the report read-only, every control disabled
// with the secretariat-only reason. The Rust side (tests/tests/browser_report.rs)
// then checks the PDF's pages.
//
// usage: node browser-report.mjs <base-url> <screenshot.png>
// env: ENLACE_PASSWORD; ENLACE_SECRETARIAT_EMAIL/_NAME; ENLACE_MEMBER_EMAIL/_NAME;
//      ENLACE_PDF (where to write the PDF); ENLACE_DOWNLOAD (where to save the
//      downloaded HTML); ENLACE_READ_ONLY_REASON (the refusal's Spanish text)
// Screenshots: <screenshot> (the report page), <base>-member.png.


import { createRun, requiredEnv, signIn, scriptArguments } from "./browser-common.mjs";

const { usage: USAGE, baseUrl, screenshotPath, person } = scriptArguments("browser-report.mjs");
const secretariat = person("SECRETARIAT", "secretariat");
const member = person("MEMBER", "member");
const pdfPath = requiredEnv("ENLACE_PDF", USAGE);
const downloadPath = requiredEnv("ENLACE_DOWNLOAD", USAGE);
const readOnlyReason = requiredEnv("ENLACE_READ_ONLY_REASON", USAGE);

const INTRODUCTION = "Este informe recoge el trabajo de la Mesa durante la presidencia de España.";
const PREVIEW = 'iframe[data-testid="report-preview"]';
const run = createRun("browser-report.mjs", screenshotPath);
const shots = screenshotPath.replace(/\.png$/i, "");

/** Waits until the preview's srcdoc contains `text`. */
async function waitForPreview(page, text) {
  await page.waitForFunction(
    ({ selector, text }) => document.querySelector(selector)?.getAttribute("srcdoc")?.includes(text),
    { selector: PREVIEW, text },
    { polling: 100 },
  );
}

try {
  await run.step("launch", () => run.launch(["secretariat", "member"]));
  const { secretariat: sec, member: mem } = run.pages;
  await run.step("sign in", async () => {
    for (const [page, who] of [[sec, secretariat], [mem, member]]) {
      await page.goto(baseUrl);
      await signIn(page, who);
    }
  });

  let reportId;
  await run.step("the secretariat creates the 2020–2021 report", async () => {
    await sec.click('a[data-nav="reports"]');
    await sec.waitForSelector('[data-testid="reports-page"]');
    await sec.click('button[data-testid="new-report"]');
    const term = sec.locator('select[data-testid="report-term"]');
    const option = await term.locator("option", { hasText: "España" }).getAttribute("value");
    await term.selectOption(option);
    await sec.click('button[data-testid="create-report"]');
    await sec.waitForFunction(() => /^#\/reports\/[0-9a-f]{32}$/.test(location.hash));
    reportId = (await sec.evaluate(() => location.hash)).split("/").pop();
    await sec.waitForSelector(`[data-testid="report-detail"][data-id="${reportId}"] [data-field="introduction"] textarea`);
    const title = await sec.inputValue('[data-field="title"] input');
    if (title !== "Informe anual 2020–2021") throw new Error(`the new report is titled ${JSON.stringify(title)}`);
    await waitForPreview(sec, "1 de julio de 2020 – 30 de junio de 2021");
    await waitForPreview(sec, "Borrador (no emitido)");
  });

  await run.step("types an introduction", async () => {
    await sec.locator('[data-field="introduction"] textarea').pressSequentially(INTRODUCTION, { delay: 5 });
    await waitForPreview(sec, INTRODUCTION);
  });

  await run.step("issues it", async () => {
    await sec.click('button[data-testid="issue-report"]');
    await sec.waitForFunction(() =>
      document.querySelector('[data-testid="report-status"]')?.textContent?.includes("Emitido el"),
    );
    await waitForPreview(sec, "Emitido el");
  });

  await run.step("switches the report to English and back", async () => {
    await sec.click('button[data-testid="report-language-en"]');
    await waitForPreview(sec, "Annual report");
    await waitForPreview(sec, "1 July 2020 – 30 June 2021");
    await sec.click('button[data-testid="report-language-es"]');
    await waitForPreview(sec, "Reuniones celebradas");
  });

  let downloaded;
  await run.step("downloads the HTML", async () => {
    const [download] = await Promise.all([
      sec.waitForEvent("download"),
      sec.click('button[data-testid="download-report"]'),
    ]);
    if (download.suggestedFilename() !== "informe-anual-2020-2021.html") {
      throw new Error(`the download is named ${download.suggestedFilename()}`);
    }
    await download.saveAs(downloadPath);
    const stream = await download.createReadStream();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    downloaded = Buffer.concat(chunks).toString("utf8");
    if (!downloaded.includes(INTRODUCTION)) throw new Error("the download lacks the introduction");
    const preview = await sec.getAttribute(PREVIEW, "srcdoc");
    if (preview !== downloaded) throw new Error("the preview and the download differ");
  });

  await run.step("screenshot of the report page", async () => {
    await sec.screenshot({ path: screenshotPath, fullPage: true });
  });

  let printedHtml;
  await run.step("opens the print view and prints it to PDF", async () => {
    const print = await sec.context().newPage();
    run.watch(print, "print");
    run.pages.print = print;
    const href = await sec.getAttribute('a[data-testid="print-report"]', "href");
    if (href !== `#/reports/${reportId}/print?lang=es&print=1`) throw new Error(`the print link is ${href}`);
    // Without `print=1`: a headless print dialog would only get in the way of page.pdf.
    await print.goto(`${baseUrl}#/reports/${reportId}/print?lang=es`);
    await print.waitForSelector("section.cover h1", { timeout: 30_000 });
    const chrome = await print.evaluate(() => document.querySelectorAll(".topbar, nav.collections-nav, main.content").length);
    if (chrome !== 0) throw new Error("the print view still shows the app around the report");
    printedHtml = await print.evaluate(() => document.documentElement.outerHTML);
    await print.pdf({ path: pdfPath, preferCSSPageSize: true, printBackground: true });
  });

  await run.step("the download is the print view's report", async () => {
    const copy = await sec.context().newPage();
    await copy.setContent(downloaded);
    const downloadedHtml = await copy.evaluate(() => document.documentElement.outerHTML);
    if (downloadedHtml !== printedHtml) throw new Error("the downloaded HTML and the print view differ");
    await copy.close();
  });

  await run.step("a member sees the report read-only", async () => {
    await mem.goto(`${baseUrl}#/reports`);
    await mem.waitForSelector('[data-testid="report-row"]');
    const newReport = mem.locator('button[data-testid="new-report"]');
    if (!(await newReport.isDisabled())) throw new Error("a member may start a report");
    if ((await newReport.getAttribute("title")) !== readOnlyReason) throw new Error("the new-report tooltip is not the refusal");
    await mem.click('[data-testid="report-row"] a');
    await mem.waitForSelector(`[data-testid="report-detail"][data-id="${reportId}"]`);
    await waitForPreview(mem, INTRODUCTION);
    const issue = mem.locator('button[data-testid="issue-report"]');
    if (!(await issue.isDisabled())) throw new Error("a member may issue the report");
    if ((await issue.getAttribute("title")) !== readOnlyReason) throw new Error("the issue tooltip is not the refusal");
    if (!(await mem.locator('[data-field="introduction"] textarea').isDisabled())) {
      throw new Error("a member may edit the introduction");
    }
    const note = (await mem.textContent('[data-testid="read-only"]'))?.trim();
    if (note !== readOnlyReason) throw new Error(`the read-only note says ${JSON.stringify(note)}`);
    // Downloading and printing stay open to everyone who reads.
    if (await mem.locator('button[data-testid="download-report"]').isDisabled()) throw new Error("a member cannot download");
    await mem.screenshot({ path: `${shots}-member.png`, fullPage: true });
  });

  await run.finish({ report: reportId });
} catch (error) {
  await run.fail(error);
}
