package com.seedsq.api.ui;

import com.seedsq.api.testing.ApiClient;
import com.seedsq.api.testing.TinyLlama2c;
import com.seedsq.api.testing.TinyTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The web UI in a real browser: Debian's Chromium driven headless by chromium-driver, against the application on
 * its embedded defaults (in-memory H2, a local artifact directory, steps in-process). One walk through as a user:
 * paste the key, upload the stories260K checkpoint and tokenizer through the chunked upload (with a dropped part that
 * is retried), upload a dataset, submit an invalid then a valid job, follow it live to COMPLETED, read the report and
 * check its charts against GET /report, download an artifact; and a rejected upload. Screenshots of every page go to
 * {@code target/ui-screenshots/}; the browser console must stay free of errors.
 *
 * <p>Uses {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver} (override with {@code -Dsq.chromium=} and
 * {@code -Dsq.chromedriver=}); Selenium Manager never runs. Without {@code ../shared/data} it uses a generated tiny
 * llama2.c model instead of stories260K.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.datasource.url=jdbc:h2:mem:ui-browser;DB_CLOSE_DELAY=-1",
        "sq.storage.local.root=./target/test-data/ui-browser",
        "sq.jobs.work-dir=./target/test-data/ui-browser-work",
        "sq.security.bootstrap-admin-key=" + WebUiBrowserTest.ADMIN_KEY})
class WebUiBrowserTest {

    static final String ADMIN_KEY = "ui-test-admin-key";
    static final Path SCREENSHOTS = Path.of("target", "ui-screenshots");

    static WebDriver driver;
    static Path profile;
    static Path downloads;

    @LocalServerPort
    int port;

    ApiClient apiClient;
    Path work;
    /** Network errors the test provokes on purpose (a rejected model, an invalid job): URL fragments. */
    final List<String> expectedNetworkErrors = new ArrayList<>();

    @BeforeAll
    static void startBrowser() throws IOException {
        String chromium = System.getProperty("sq.chromium", "/usr/bin/chromium");
        String chromedriver = System.getProperty("sq.chromedriver", "/usr/bin/chromedriver");
        if (!Files.isExecutable(Path.of(chromium)) || !Files.isExecutable(Path.of(chromedriver))) {
            fail("The browser tests need Debian's Chromium and its driver: " + chromium + " and " + chromedriver
                    + " are not both installed. Install them with 'apt-get install chromium chromium-driver' "
                    + "(bin/test does), or point -Dsq.chromium= and -Dsq.chromedriver= at them.");
        }
        System.setProperty("webdriver.chrome.driver", chromedriver);
        Files.createDirectories(SCREENSHOTS);
        profile = Files.createTempDirectory("sq-ui-chrome-");
        downloads = Files.createTempDirectory("sq-ui-downloads-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1360,1000", "--lang=en-US");
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        Map<String, Object> prefs = new HashMap<>();
        prefs.put("download.default_directory", downloads.toString());
        prefs.put("download.prompt_for_download", false);
        prefs.put("safebrowsing.enabled", false);
        options.setExperimentalOption("prefs", prefs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(chromedriver)).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
    }

    @AfterAll
    static void stopBrowser() {
        if (driver != null) {
            driver.quit();
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        apiClient = new ApiClient(port, ADMIN_KEY);
        work = Files.createTempDirectory("sq-ui-work-").toRealPath();
        expectedNetworkErrors.clear();
    }

    @AfterEach
    void browserConsoleHasNoErrors(org.junit.jupiter.api.TestInfo test) throws IOException {
        // The page as the test left it, for a failure's post-mortem.
        screenshot("last-" + test.getTestMethod().map(java.lang.reflect.Method::getName).orElse("test"));
        List<String> errors = new ArrayList<>();
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() < Level.SEVERE.intValue()) {
                continue;
            }
            String m = e.getMessage();
            // Chrome logs every non-2xx response as an error; the ones this test provokes on purpose are fine.
            boolean expected = m.contains("Failed to load resource")
                    && expectedNetworkErrors.stream().anyMatch(m::contains);
            if (!expected) {
                errors.add(m);
            }
        }
        assertThat(errors).as("errors in the browser console").isEmpty();
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void uploadSubmitFollowAndReadTheReportInTheBrowser() throws Exception {
        Inputs in = inputs();
        pasteKey();

        // Upload the model through the chunked upload, in 256 KiB parts; the first part "drops" once and is retried.
        open("#/upload");
        new Select(driver.findElement(By.id("part-size"))).selectByValue("262144");
        driver.findElement(By.id("model-files")).sendKeys(in.model + "\n" + in.tokenizer);
        waitFor(d -> d.findElements(By.cssSelector("#upload-files tbody tr")).size() == 2);
        WebElement name = driver.findElement(By.id("model-name"));
        name.clear();
        name.sendKeys(in.modelName);
        js("window.__sqFailNextParts = 1;");
        click(By.id("upload-start"));
        WebElement result = waitFor(d -> visible(d, "upload-result"));
        String modelId = result.getDomAttribute("data-model-id");
        JsonNode model = apiClient.get("/api/v1/models/" + modelId).json();
        assertThat(fact("Parameters")).contains(String.format(Locale.US, "%,d", model.path("parameters").asLong()));
        assertThat(fact("Architecture")).isEqualTo(model.path("architecture").asString());
        assertThat(fact("dtype")).isEqualTo(model.path("dtype").asString());
        assertThat(fact("Layers")).isEqualTo(model.path("layers").asString());
        assertThat(text("upload-log")).contains("retrying").contains("all " + in.modelParts + " part(s) received");
        assertThat(driver.findElement(By.id("upload-progress-text")).getDomAttribute("data-percent")).isEqualTo("100.0");
        assertThat(driver.findElement(By.id("upload-progress")).getDomProperty("value"))
                .isEqualTo(String.valueOf(Files.size(in.model) + Files.size(in.tokenizer)));
        screenshot("upload");

        // A dataset, the simple way.
        open("#/datasets");
        driver.findElement(By.id("dataset-file")).sendKeys(in.dataset.toString());
        click(By.id("dataset-upload"));
        waitFor(d -> d.findElement(By.id("dataset-status")).getText().contains("stored"));
        String datasetId = driver.findElement(By.cssSelector("#datasets-table tr.highlight")).getDomAttribute("data-dataset-id");
        assertThat(apiClient.get("/api/v1/datasets/" + datasetId).json().path("sizeBytes").asLong())
                .isEqualTo(Files.size(in.dataset));
        screenshot("datasets");

        // The job form: first with α = 1.5, which the API refuses; its messages show next to the fields.
        open("#/jobs/new?model=" + modelId);
        waitFor(d -> new Select(d.findElement(By.id("job-model"))).getFirstSelectedOption().getDomAttribute("value")
                .equals(modelId));
        new Select(driver.findElement(By.id("job-calib-dataset"))).selectByValue(datasetId);
        for (WebElement box : driver.findElements(By.cssSelector("#job-eval-datasets input[type='checkbox']"))) {
            if (box.isSelected() != datasetId.equals(box.getDomAttribute("value"))) {
                js("arguments[0].scrollIntoView({block: 'center'});", box);
                box.click();
            }
        }
        fill("job-samples", String.valueOf(in.samples));
        fill("job-seqlen", String.valueOf(in.seqLen));
        fill("job-max-tokens", String.valueOf(in.maxTokens));
        fill("job-batches", "1, 2");
        fill("job-seqlens", in.benchSeqLens);
        fill("job-decode", "8");
        new Select(driver.findElement(By.id("job-backend"))).selectByValue("cpu");
        click(By.cssSelector("input[name='alphaMode'][value='value']"));
        fill("job-alpha", "1.5");
        expectedNetworkErrors.add("/api/v1/jobs -");
        click(By.id("job-submit"));
        WebElement alphaError = waitFor(d -> visible(d, "job-alpha-error"));
        Map<String, Object> bad = new HashMap<>(Map.of("modelId", modelId, "alpha", "1.5",
                "calibration", Map.of("datasetId", datasetId, "samples", in.samples, "seqLen", in.seqLen)));
        var refused = apiClient.postJson("/api/v1/jobs", bad);
        assertThat(refused.status()).isEqualTo(400);
        String apiMessage = refused.json().path("fields").path("alpha").asString();
        assertThat(apiMessage).isNotBlank();
        assertThat(alphaError.getText()).contains(apiMessage);
        assertThat(text("job-errors")).contains(apiMessage);
        assertThat(driver.findElement(By.id("job-alpha")).getDomAttribute("aria-invalid")).isEqualTo("true");
        screenshot("new-job-invalid");

        // Fixed: α back to the family default; submit, and the Jobs page follows it live to COMPLETED.
        click(By.cssSelector("input[name='alphaMode'][value='default']"));
        click(By.cssSelector("input[name='level'][value='O1']"));
        screenshot("new-job");
        click(By.id("job-submit"));
        waitFor(d -> d.getCurrentUrl().contains("#/jobs?highlight="));
        String jobId = driver.getCurrentUrl().replaceAll(".*highlight=", "");
        By row = By.cssSelector("#jobs-table tr[data-job-id='" + jobId + "']");
        List<String> seen = new ArrayList<>();
        boolean runningShot = false;
        long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        while (true) {
            List<WebElement> rows = driver.findElements(row);
            String status = rows.isEmpty() ? "" : rows.getFirst().getDomAttribute("data-status");
            String step = rows.isEmpty() ? "" : rows.getFirst().getDomAttribute("data-step");
            String state = status + ":" + step;
            if (!status.isEmpty() && (seen.isEmpty() || !seen.getLast().equals(state))) {
                seen.add(state);
            }
            if ("RUNNING".equals(status) && !runningShot) {
                screenshot("jobs-running");
                runningShot = true;
            }
            if (List.of("COMPLETED", "FAILED", "CANCELLED").contains(status)) {
                break;
            }
            if (System.nanoTime() > deadline) {
                fail("the job did not finish in time; states seen " + seen);
            }
            Thread.sleep(150);
        }
        WebElement done = driver.findElement(row);
        assertThat(done.getDomAttribute("data-status")).as("states seen %s; row: %s", seen, done.getText())
                .isEqualTo("COMPLETED");
        assertThat(done.getText()).contains("100%").contains("done in");
        assertThat(done.getDomAttribute("data-step")).isEqualTo("package");
        // The row changed without a reload: the page saw the job through the event stream, not one final read.
        assertThat(seen.size()).as("states seen %s", seen).isGreaterThan(1);
        screenshot("jobs");

        // The report: numbers in the tables and the charts are the API's.
        done.findElement(By.linkText("Report")).click();
        waitFor(d -> visible(d, "report-body") != null && !d.findElements(By.cssSelector("#chart-errors svg")).isEmpty());
        JsonNode report = apiClient.get("/api/v1/jobs/" + jobId + "/report").json();
        checkReport(report);
        screenshotFullPage("report");

        // Download an artifact through the page (the link fetches it with the key): same bytes as the API serves.
        click(By.cssSelector("#artifact-list a[data-artifact='evaluation.json']"));
        Path file = downloads.resolve("evaluation.json");
        waitFor(d -> Files.exists(file) && !Files.exists(downloads.resolve("evaluation.json.crdownload")));
        waitFor(d -> text("artifact-status").contains("Downloaded"));
        assertThat(Files.readString(file)).isEqualTo(apiClient.get("/api/v1/jobs/" + jobId
                + "/artifacts/evaluation.json").body());
    }

    @Test
    void aTruncatedCheckpointIsRejectedWithTheServersReason() throws Exception {
        pasteKey();
        Path full = inputs().model;
        Path truncated = work.resolve("truncated.bin");
        byte[] bytes = Files.readAllBytes(full);
        Files.write(truncated, java.util.Arrays.copyOf(bytes, Math.min(bytes.length, 1000)));
        open("#/upload");
        driver.findElement(By.id("model-files")).sendKeys(truncated.toString());
        expectedNetworkErrors.add("/complete");
        click(By.id("upload-start"));
        WebElement problem = waitFor(d -> visible(d, "upload-error"));
        assertThat(problem.getText()).contains("The server rejected the model").contains("truncated")
                .contains("HTTP 422");
        assertThat(driver.findElement(By.id("upload-result")).isDisplayed()).isFalse();
        screenshot("upload-rejected");
        // Nothing was registered.
        for (JsonNode m : apiClient.get("/api/v1/models").json()) {
            assertThat(m.path("name").asString()).isNotEqualTo("truncated");
        }
    }

    @Test
    void aJobIsCancelledAndRestartedFromTheJobsPage() throws Exception {
        Inputs in = inputs();
        pasteKey();
        open("#/jobs");
        var model = apiClient.postMultipart("/api/v1/models", Map.of("name", List.of("to-cancel"),
                "files", List.of(in.model, in.tokenizer)));
        assertThat(model.status()).as(model.body()).isEqualTo(201);
        var dataset = apiClient.postMultipart("/api/v1/datasets", Map.of("file", List.of(in.dataset)));
        String datasetId = dataset.json().path("id").asString();
        Map<String, Object> spec = Map.of("modelId", model.json().path("id").asString(),
                "calibration", Map.of("datasetId", datasetId, "samples", in.samples, "seqLen", in.seqLen),
                "evaluation", Map.of("datasetIds", List.of(datasetId), "maxTokens", in.maxTokens),
                "benchmark", Map.of("batchSizes", List.of(1), "seqLens", List.of(in.maxSeqLen / 8),
                        "decodeTokens", 8), "backend", "cpu");
        var submitted = apiClient.postJson("/api/v1/jobs", spec);
        assertThat(submitted.status()).as(submitted.body()).isEqualTo(201);
        String jobId = submitted.json().path("id").asString();
        String shortId = jobId.substring(0, 8);

        // Cancel at once, while the job is queued or validating.
        open("#/jobs?highlight=" + jobId);
        By row = By.cssSelector("#jobs-table tr[data-job-id='" + jobId + "']");
        By cancel = By.cssSelector("#jobs-table button[aria-label='Cancel job " + shortId + "']");
        By restart = By.cssSelector("#jobs-table button[aria-label='Restart job " + shortId + "']");
        waitFor(d -> !d.findElements(cancel).isEmpty());
        click(cancel);
        waitFor(d -> "CANCELLED".equals(d.findElement(row).getDomAttribute("data-status")));
        assertThat(apiClient.get("/api/v1/jobs/" + jobId).json().path("status").asString()).isEqualTo("CANCELLED");
        screenshot("jobs-cancelled");

        click(restart);
        // The restarted job is followed live again and resumes where it stopped, to the end.
        waitFor(d -> !List.of("CANCELLED", "").contains(d.findElement(row).getDomAttribute("data-status")));
        new WebDriverWait(driver, Duration.ofSeconds(120), Duration.ofMillis(200)).until(d ->
                List.of("COMPLETED", "FAILED").contains(d.findElement(row).getDomAttribute("data-status")));
        assertThat(driver.findElement(row).getDomAttribute("data-status")).as(driver.findElement(row).getText())
                .isEqualTo("COMPLETED");
        assertThat(text("jobs-live")).contains(shortId);
    }

    // ---------------------------------------------------------------------------------------------------------

    private void checkReport(JsonNode report) {
        // Perplexity: table cells and the bar chart's series are the API's values.
        Map<String, Double> ppl = new HashMap<>();
        for (JsonNode r : report.path("evaluation").path("results")) {
            ppl.put(r.path("variant").asString(), r.path("value").asDouble());
        }
        assertThat(ppl).containsKeys("fp32", "naive", "o1");
        for (var e : ppl.entrySet()) {
            WebElement cell = driver.findElement(By.cssSelector("#table-perplexity tr[data-variant='" + e.getKey()
                    + "'] td.ppl"));
            assertThat(cell.getText()).isEqualTo(String.format(Locale.US, "%.3f", e.getValue()));
        }
        List<Double> chartValues = seriesValues("chart-perplexity");
        assertThat(chartValues).containsExactlyInAnyOrderElementsOf(ppl.values());
        // The SVG shows the value labels.
        assertThat(svgText("chart-perplexity")).contains(String.format(Locale.US, "%.2f", ppl.get("fp32")));

        // Latency: every prefill time of the grid is a bar; the speed-up line is FP32 / INT8.
        List<Double> prefill = new ArrayList<>();
        for (JsonNode p : report.path("benchmark").path("points")) {
            prefill.add(p.path("prefillMs").asDouble());
        }
        List<Double> bars = seriesValues("chart-prefill", "bar");
        assertThat(bars).containsExactlyInAnyOrderElementsOf(prefill);
        JsonNode p0 = null;
        JsonNode q0 = null;
        for (JsonNode p : report.path("benchmark").path("points")) {
            if (p.path("batch").asInt() == 1 && p0 == null && "fp32".equals(p.path("variant").asString())) {
                p0 = p;
            }
        }
        for (JsonNode p : report.path("benchmark").path("points")) {
            if ("o1".equals(p.path("variant").asString()) && p.path("batch").asInt() == p0.path("batch").asInt()
                    && p.path("seqLen").asInt() == p0.path("seqLen").asInt()) {
                q0 = p;
            }
        }
        double speedup = p0.path("prefillMs").asDouble() / q0.path("prefillMs").asDouble();
        WebElement speedCell = driver.findElement(By.cssSelector("#table-latency tr[data-batch='"
                + p0.path("batch").asInt() + "'][data-seq-len='" + p0.path("seqLen").asInt() + "'] td.speedup"));
        assertThat(speedCell.getText()).isEqualTo(String.format(Locale.US, "%.2f×", speedup));
        double memoryRatio = q0.path("memory").path("peakBytes").asDouble()
                / p0.path("memory").path("peakBytes").asDouble();
        WebElement memoryCell = driver.findElement(By.cssSelector("#table-latency tr[data-batch='"
                + p0.path("batch").asInt() + "'][data-seq-len='" + p0.path("seqLen").asInt() + "'] td.memory-ratio"));
        assertThat(memoryCell.getText()).isEqualTo(String.format(Locale.US, "%.2f×", memoryRatio));
        assertThat(seriesValues("chart-prefill", "line").getFirst()).isCloseTo(speedup,
                org.assertj.core.data.Offset.offset(0.001));
        assertThat(svgText("chart-decode")).isNotBlank();

        // Size, atlas and per-layer errors.
        long int8 = report.path("quantization").path("int8Bytes").asLong();
        assertThat(text("table-size")).contains(String.format(Locale.US, "%,d", int8));
        assertThat(seriesValues("chart-size")).contains((double) int8);
        List<Double> before = new ArrayList<>();
        for (JsonNode a : report.path("smoothing").path("atlas")) {
            before.add(a.path("before").path("ratio").asDouble());
        }
        assertThat(before).isNotEmpty();
        List<List<Double>> atlas = allSeries("chart-atlas");
        assertThat(atlas.getFirst()).containsExactlyElementsOf(before);
        assertThat(seriesValues("chart-errors")).hasSize(report.path("quantization").path("linearErrors").size());
        for (String id : List.of("chart-perplexity", "chart-prefill", "chart-decode", "chart-size", "chart-atlas",
                "chart-errors")) {
            assertThat(driver.findElements(By.cssSelector("#" + id + " svg"))).as(id).hasSize(1);
            assertThat(driver.findElement(By.id(id)).getDomAttribute("aria-label")).as(id).isNotBlank();
        }
        assertThat(text("report-cards")).contains("Perplexity").contains("speed-up").contains("smaller");
    }

    /** The numbers of every series (optionally only one type) of the ECharts instance in the element. */
    private List<Double> seriesValues(String chartId, String... type) {
        List<Double> out = new ArrayList<>();
        @SuppressWarnings("unchecked")
        List<List<Object>> series = (List<List<Object>>) js("""
                const c = echarts.getInstanceByDom(document.getElementById(arguments[0]));
                return c.getOption().series.filter(s => !arguments[1] || s.type === arguments[1])
                    .map(s => s.data.map(d => d === null ? null : (typeof d === 'object' ? d.value : d)));
                """, chartId, type.length > 0 ? type[0] : null);
        for (List<Object> s : series) {
            for (Object v : s) {
                if (v != null) {
                    out.add(((Number) v).doubleValue());
                }
            }
        }
        return out;
    }

    private List<List<Double>> allSeries(String chartId) {
        @SuppressWarnings("unchecked")
        List<List<Object>> series = (List<List<Object>>) js("""
                const c = echarts.getInstanceByDom(document.getElementById(arguments[0]));
                return c.getOption().series.map(s => s.data.map(d => d !== null && typeof d === 'object' ? d.value : d));
                """, chartId);
        List<List<Double>> out = new ArrayList<>();
        for (List<Object> s : series) {
            out.add(s.stream().map(v -> v == null ? null : ((Number) v).doubleValue()).toList());
        }
        return out;
    }

    private String svgText(String chartId) {
        return (String) js("return [...document.querySelectorAll('#' + arguments[0] + ' svg text')]"
                + ".map(t => t.textContent).join(' ');", chartId);
    }

    private void pasteKey() throws IOException {
        open("#/key");
        WebElement key = driver.findElement(By.id("api-key"));
        key.clear();
        key.sendKeys(ADMIN_KEY);
        click(By.id("key-save"));
        waitFor(d -> d.findElement(By.id("key-status")).getText().contains("Key saved"));
        assertThat((String) js("return sessionStorage.getItem('sq.apiKey');")).isEqualTo(ADMIN_KEY);
        assertThat((String) js("return localStorage.getItem('sq.apiKey');")).isNull();
        screenshot("api-key");
    }

    private void open(String hash) {
        String url = "http://127.0.0.1:" + port + "/" + hash;
        if (driver.getCurrentUrl() != null && driver.getCurrentUrl().startsWith("http://127.0.0.1:" + port + "/")) {
            js("location.hash = arguments[0];", hash.substring(1));
        } else {
            driver.get(url);
        }
        String view = hash.startsWith("#/jobs/new") ? "new-job" : hash.substring(2).replaceAll("[/?].*", "");
        waitFor(d -> visible(d, "view-" + view));
    }

    /** Clicks an element after scrolling it to the middle of the window, clear of the sticky header. */
    private void click(By by) {
        for (int attempt = 1; ; attempt++) {
            try {
                WebElement e = driver.findElement(by);
                js("arguments[0].scrollIntoView({block: 'center'});", e);
                e.click();
                return;
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                if (attempt == 5) {
                    throw e; // re-rendered under us five times in a row
                }
            }
        }
    }

    private void fill(String id, String value) {
        WebElement e = driver.findElement(By.id(id));
        e.clear();
        e.sendKeys(value);
    }

    private String fact(String name) {
        return driver.findElement(By.cssSelector("#upload-result-facts div[data-fact='" + name + "'] dd")).getText();
    }

    private String text(String id) {
        return driver.findElement(By.id(id)).getDomProperty("textContent");
    }

    private static WebElement visible(WebDriver d, String id) {
        List<WebElement> found = d.findElements(By.id(id));
        return !found.isEmpty() && found.getFirst().isDisplayed() ? found.getFirst() : null;
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    private <T> T waitFor(Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, Duration.ofSeconds(60), Duration.ofMillis(100)).until(condition);
    }

    private void screenshot(String name) throws IOException {
        Files.write(SCREENSHOTS.resolve(name + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    /** The whole page: the window is made as tall as the document for the shot. */
    private void screenshotFullPage(String name) throws IOException {
        Dimension size = driver.manage().window().getSize();
        long height = ((Number) js("return document.documentElement.scrollHeight;")).longValue();
        driver.manage().window().setSize(new Dimension(size.getWidth(), (int) Math.min(height + 140, 12_000)));
        try {
            Thread.sleep(300);
            screenshot(name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            driver.manage().window().setSize(size);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    record Inputs(Path model, Path tokenizer, Path dataset, String modelName, int modelParts, int samples, int seqLen,
                  int maxTokens, String benchSeqLens, int maxSeqLen) {
    }

    /** stories260K and a TinyStories sample from ../shared/data, or a generated tiny model when it is missing. */
    private Inputs inputs() throws IOException {
        Path shared = Path.of(System.getProperty("sq.shared.dir", "../../shared"), "data");
        Path bin = shared.resolve("models/stories260K/stories260K.bin");
        Path tok = shared.resolve("models/stories260K/tok512.bin");
        Path text = shared.resolve("text/tinystories-sample.txt");
        if (Files.isRegularFile(bin) && Files.isRegularFile(tok) && Files.isRegularFile(text)) {
            // Chromium wants canonical paths for file inputs.
            return new Inputs(bin.toRealPath(), tok.toRealPath(), text.toRealPath(), "stories260K", (int) ((Files.size(bin) + 262_143) / 262_144), 8, 128,
                    800, "32, 64", 512);
        }
        System.err.println("WebUiBrowserTest: " + shared + " has no stories260K: using a generated tiny llama2.c model");
        Path model = TinyLlama2c.write(work.resolve("tiny.bin"), false);
        Path tokenizer = TinyTokenizer.write(work.resolve("tokenizer.bin"));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            sb.append("once upon a time, there was a little model. it liked small numbers.\n");
        }
        Path dataset = Files.writeString(work.resolve("stories.txt"), sb.toString());
        return new Inputs(model, tokenizer, dataset, "tiny", (int) ((Files.size(model) + 262_143) / 262_144), 4, 32,
                310, "16, 32", TinyLlama2c.SEQ);
    }
}
