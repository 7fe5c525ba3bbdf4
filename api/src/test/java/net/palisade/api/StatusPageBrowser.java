package net.palisade.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.palisade.dataplane.testkit.TestPrograms;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's chromium, headless, driven through Debian's chromedriver (Selenium Manager cannot download here), on the
 * status page of a node: what the status page tests see and do as a person would — type the token, read the rows'
 * colours and the event list. Skipped with {@code -Dpalisade.skipExternal=true}.
 */
public final class StatusPageBrowser implements AutoCloseable {
    private final ChromeDriver driver;
    private final String base;

    private StatusPageBrowser(ChromeDriver driver, String base) {
        this.driver = driver;
        this.base = base;
    }

    /** A headless chromium; {@code base} is the node's API, e.g. {@code http://127.0.0.1:8470}. */
    public static StatusPageBrowser open(String base) {
        Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), "palisade.skipExternal=true");
        TestPrograms.require("chromium", "chromedriver");
        System.setProperty("webdriver.chrome.driver", "/usr/bin/chromedriver");
        ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium")
                // --no-sandbox: the tests run as root, where chromium's sandbox refuses to start
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                        "--window-size=1400,900", "--no-first-run", "--disable-extensions");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build();
        ChromeDriver d = new ChromeDriver(service, options);
        return new StatusPageBrowser(d, base);
    }

    public ChromeDriver driver() {
        return driver;
    }

    /** Opens {@code path} on the node (the page itself needs no token). */
    public void load(String path) {
        driver.get(base + path);
    }

    public WebElement await(By by, Duration within) {
        return new WebDriverWait(driver, within).pollingEvery(Duration.ofMillis(100))
                .until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    /** Types the token into the page's prompt and opens the status view. */
    public void signIn(String token) {
        WebElement field = await(By.id("token"), Duration.ofSeconds(20));
        field.clear();
        field.sendKeys(token);
        driver.findElement(By.id("signin")).click();
    }

    /**
     * What the page shows for the tunnel labelled {@code label}, read in one script call (the page re-draws its table
     * on every update, so elements found earlier go stale): {@code colour} (the row's, after checking that its dot
     * shows the same), {@code status}, {@code peer}, {@code sas}, {@code bytes} and the row's whole {@code text}.
     * Empty when the page has no row for it.
     */
    @SuppressWarnings("unchecked")
    public Optional<Map<String, String>> row(String label) {
        Object found = script("""
                const r = [...document.querySelectorAll('#tunnel-rows tr')].find(r => r.dataset.label === arguments[0]);
                if (!r) return null;
                const dot = r.querySelector('span.dot');
                return {colour: r.dataset.colour, dot: dot ? dot.className : '', status: r.dataset.status,
                        peer: r.querySelector('td.peer').innerText, sas: r.querySelector('td.sas').innerText,
                        bytes: r.querySelector('td.bytes').innerText, text: r.innerText};
                """, label);
        return Optional.ofNullable((Map<String, String>) found).map(m -> {
            assertThat(m.get("dot")).as("the dot shows the row's colour").isEqualTo("dot " + m.get("colour"));
            return m;
        });
    }

    /** The colour the page gives the tunnel's row, empty without a row. */
    public Optional<String> colour(String label) {
        return row(label).map(m -> m.get("colour"));
    }

    /** The event list, newest first, as {@code label type} pairs. */
    @SuppressWarnings("unchecked")
    public List<String> events() {
        return (List<String>) script("return [...document.querySelectorAll('#events li')]"
                + ".map(li => li.dataset.label + ' ' + li.dataset.type)");
    }

    public Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    /** A screenshot to {@code target/NAME} (the test's artifact) and, when {@code alsoTo} is given, a copy there. */
    public Path screenshot(String name, Optional<Path> alsoTo) throws IOException {
        Path shot = Path.of("target", name);
        Files.createDirectories(shot.getParent());
        Files.write(shot, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        if (alsoTo.isPresent() && Files.isDirectory(alsoTo.get().getParent())) {
            Files.copy(shot, alsoTo.get(), StandardCopyOption.REPLACE_EXISTING);
        }
        return shot;
    }

    @Override
    public void close() {
        driver.quit();
    }
}
