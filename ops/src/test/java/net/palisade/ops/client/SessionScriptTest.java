package net.palisade.ops.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import net.palisade.ops.client.SessionScript.Commit;
import net.palisade.ops.client.SessionScript.Delete;
import net.palisade.ops.client.SessionScript.Replace;
import net.palisade.ops.client.SessionScript.ScriptException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code configure} session script: statements between {@code --}, checked whole before anything runs. */
class SessionScriptTest {
    private static List<String> words(String line) {
        // the shell's job in real use: "quoted words" stay one word
        List<String> out = new java.util.ArrayList<>();
        var m = java.util.regex.Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(line);
        while (m.find()) {
            out.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return out;
    }

    private static SessionScript.Parsed parse(String line) throws ScriptException {
        return SessionScript.parse(words(line));
    }

    @Test
    void theFirewallLineBecomesOneCommitOfOneReplace() throws Exception {
        SessionScript.Parsed p = parse("edit ipsec -- replace peer 192.0.2.2 with peer 192.0.2.3 -- commit -time 60 \"try backup\"");
        assertThat(p.uncommitted()).isEmpty();
        assertThat(p.steps()).containsExactly(new Commit(List.of(new Replace("peer 192.0.2.2", "peer 192.0.2.3")),
                OptionalLong.of(60), Optional.of("try backup")));
    }

    @Test
    void severalEditsGoInOneCommitInOrder() throws Exception {
        SessionScript.Parsed p = parse("edit ipsec -- replace aes-128 with aes-256 -- delete legacy -- replace dpd 30s"
                + " with dpd 10s -- commit");
        Commit c = (Commit) p.steps().get(0);
        assertThat(c.edits()).containsExactly(new Replace("aes-128", "aes-256"), new Delete("legacy"),
                new Replace("dpd 30s", "dpd 10s"));
        assertThat(c.confirmWithinSeconds()).isEmpty();
        assertThat(c.message()).isEmpty();
    }

    @Test
    void messageAndTimeInEitherOrder() throws Exception {
        Commit c = (Commit) parse("edit ipsec -- delete x -- commit \"drop x\" -time 5").steps().get(0);
        assertThat(c.message()).hasValue("drop x");
        assertThat(c.confirmWithinSeconds()).hasValue(5);
    }

    @Test
    void otherStatements() throws Exception {
        assertThat(parse("show").steps()).containsExactly(new SessionScript.ShowConfig());
        assertThat(parse("show ipsec -- show commits -- show diff c-1 -- show diff c-1 c-3").steps()).containsExactly(
                new SessionScript.ShowConfig(), new SessionScript.ShowCommits(),
                new SessionScript.ShowDiff("c-1", "running"), new SessionScript.ShowDiff("c-1", "c-3"));
        assertThat(parse("load site.conf -time 30 \"new site\"").steps())
                .containsExactly(new SessionScript.Load("site.conf", OptionalLong.of(30), Optional.of("new site")));
        assertThat(parse("load -").steps())
                .containsExactly(new SessionScript.Load("-", OptionalLong.empty(), Optional.empty()));
        assertThat(parse("commit-confirm c-4 -- rollback -- rollback c-2").steps()).containsExactly(
                new SessionScript.Confirm("c-4"), new SessionScript.Rollback(Optional.empty()),
                new SessionScript.Rollback(Optional.of("c-2")));
        assertThat(parse("-- show commits --").steps()).containsExactly(new SessionScript.ShowCommits());
    }

    @Test
    void editsWithoutCommitAreReturnedUnsentAndNothingElseRuns() throws Exception {
        SessionScript.Parsed p = parse("show commits -- edit ipsec -- replace a with b -- delete c");
        assertThat(p.uncommitted()).containsExactly(new Replace("a", "b"), new Delete("c"));
        assertThat(SessionScript.describe(p.uncommitted().get(0))).isEqualTo("replace 'a' with 'b'");
        assertThat(SessionScript.describe(p.uncommitted().get(1))).isEqualTo("delete tunnel 'c'");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "frobnicate                                     | frobnicate",
        "show ipsec -- --api http://x                   | --api",
        "show everything                                | everything",
        "show ipsec extra                               | extra",
        "show diff                                      | diff",
        "show diff c-1 c-2 c-3                          | c-3",
        "edit                                           | edit",
        "edit firewall                                  | firewall",
        "replace a with b                               | replace",
        "delete x                                       | delete",
        "edit ipsec -- replace a b                      | replace",
        "edit ipsec -- replace with b                   | with",
        "edit ipsec -- replace a with                   | with",
        "edit ipsec -- delete                           | delete",
        "edit ipsec -- delete a b                       | b",
        "commit                                         | commit",
        "edit ipsec -- commit                           | commit",
        "edit ipsec -- delete a -- commit -time         | -time",
        "edit ipsec -- delete a -- commit -time soon    | soon",
        "edit ipsec -- delete a -- commit -time 0       | 0",
        "edit ipsec -- delete a -- commit -time 86401   | 86401",
        "edit ipsec -- delete a -- commit -time 5 -time 6 | -time",
        "edit ipsec -- delete a -- commit -t 5          | -t",
        "edit ipsec -- delete a -- commit one two       | two",
        "edit ipsec -- delete a -- load f.conf          | load",
        "load                                           | load",
        "commit-confirm                                 | commit-confirm",
        "commit-confirm c-1 c-2                         | c-2",
        "rollback c-1 c-2                               | c-2",
    })
    void errorsNameTheWordAtFault(String line, String word) {
        assertThatThrownBy(() -> parse(line)).isInstanceOfSatisfying(ScriptException.class, e -> {
            assertThat(e.word()).isEqualTo(word);
            assertThat(e.getMessage()).contains(word);
        });
    }

    @Test
    void anEmptyScriptIsAnError() {
        assertThatThrownBy(() -> SessionScript.parse(List.of())).hasMessageContaining("nothing to do");
        assertThatThrownBy(() -> SessionScript.parse(Arrays.asList("--", "--"))).hasMessageContaining("nothing to do");
    }
}
