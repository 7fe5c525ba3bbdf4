package net.palisade.model.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import net.palisade.model.IpsecConfig;
import net.palisade.model.config.Drafts.TunnelDraft;
import net.palisade.model.config.Lexer.Kind;
import net.palisade.model.config.Lexer.Token;
import net.palisade.model.crypto.Names;

/**
 * Parses the Palisade config language (OpenBSD ipsec.conf style; see docs/config.md).
 *
 * <p>Collects every error it can: a statement with a syntax error is reported and skipped, and parsing goes on with
 * the next statement; statements that parse are validated by the same rules as JSON input. Errors carry the source
 * name, line and column of the offending token, the keyword at fault and what was expected; none contains a secret.
 *
 * <pre>{@code
 * ConfigResult r = ConfigParser.parse(Files.readString(path), path.toString());
 * r.errors().forEach(System.err::println);     // gw.conf:3:41: enc: unknown algorithm 'aes128'; did you mean 'aes-128'?
 * IpsecConfig config = r.orThrow();
 * }</pre>
 */
public final class ConfigParser {
    static final Set<String> IKE_KEYWORDS = Set.of("active", "passive", "dynamic", "ikev1", "ikev2", "from", "to",
            "local", "peer", "main", "aggressive", "ikesa", "quick", "childsa", "auth", "enc", "prf", "group",
            "lifetime", "srcid", "dstid", "psk", "cert", "key", "ca", "dpd", "ping", "encap", "sa-per-flow", "label");
    static final Set<String> MANUAL_KEYWORDS = Set.of("from", "to", "local", "peer", "spi", "enc", "enckey", "auth",
            "authkey", "udpencap", "label");
    /** Keywords in the order the grammar lists them, for suggestions. */
    static final List<String> IKE_ORDER = List.of("active", "passive", "dynamic", "ikev1", "ikev2", "from",
            "to", "local", "peer", "main", "aggressive", "ikesa", "quick", "childsa", "auth", "enc", "prf", "group",
            "lifetime", "srcid", "dstid", "psk", "cert", "key", "ca", "dpd", "ping", "encap", "sa-per-flow", "label");
    static final List<String> MANUAL_ORDER = List.of("from", "to", "local", "peer", "spi", "enc", "enckey",
            "auth", "authkey", "udpencap", "label");
    private static final List<String> STATEMENTS = List.of("ike", "manual", "ipsec");

    final String source;
    private final Support support;
    /** Where {@code [redacted]} secrets come from ({@link Validator#validate(List, Support, IpsecConfig)}). */
    private final IpsecConfig running;
    private final List<Token> tokens;
    private int pos;
    final List<Diagnostic> diagnostics = new ArrayList<>();
    private final List<Statement> statements = new ArrayList<>();

    private ConfigParser(String text, String source, Support support, IpsecConfig running) {
        this.source = source;
        this.support = support;
        this.running = running;
        this.tokens = Lexer.lex(text);
    }

    /**
     * Parses config text.
     *
     * @param text the whole file
     * @param sourceName the name used in diagnostics (usually the file name)
     * @return the config, or every error found; warnings either way
     */
    public static ConfigResult parse(String text, String sourceName) {
        return parse(text, sourceName, Support.LANGUAGE);
    }

    /**
     * Parses config text for a node that can do what {@code support} says: a tunnel it could not run as written
     * is an error at the keyword that asks for it.
     */
    public static ConfigResult parse(String text, String sourceName, Support support) {
        return parse(text, sourceName, support, new IpsecConfig(List.of()));
    }

    /**
     * Parses config text to be committed over {@code running}: a secret written {@code [redacted]} (as {@code config
     * print} and {@code show ipsec} write them) keeps the secret of {@code running}'s tunnel with the same label; where
     * there is none it is an error at the placeholder. Without {@code running} ({@link #parse(String, String,
     * Support)}) every {@code [redacted]} is such an error.
     */
    public static ConfigResult parse(String text, String sourceName, Support support, IpsecConfig running) {
        if (text.length() > Defaults.MAX_INPUT_CHARS) {
            return tooLarge(sourceName, text.length());
        }
        return new ConfigParser(text, sourceName, support, java.util.Objects.requireNonNull(running, "running")).run();
    }

    /** The result for input over {@link Defaults#MAX_INPUT_CHARS}: refused before any parsing. */
    static ConfigResult tooLarge(String sourceName, int length) {
        return new ConfigResult(Optional.empty(), List.of(new Diagnostic(Diagnostic.Severity.ERROR, sourceName, 0, 0,
                "input", length + " characters is more than the limit of " + Defaults.MAX_INPUT_CHARS)), List.of());
    }

    /** Where a statement's parts were written, so validation problems can point at the right token. */
    static final class Statement {
        final String keyword;
        final Pos start;
        final Map<Field, Pos> keywords = new EnumMap<>(Field.class);
        final Map<Field, String> keywordText = new EnumMap<>(Field.class);
        final Map<Field, List<Pos>> items = new EnumMap<>(Field.class);
        TunnelDraft draft;

        Statement(String keyword, Pos start) {
            this.keyword = keyword;
            this.start = start;
        }

        Pos position(Field f, int item) {
            for (Field g = f; g != null; g = g.fallback) {
                List<Pos> it = items.get(g);
                if (g == f && item >= 0 && it != null && item < it.size()) {
                    return it.get(item);
                }
                Pos k = keywords.get(g);
                if (k != null) {
                    return k;
                }
                if (it != null && !it.isEmpty()) {
                    return it.get(0);
                }
            }
            return start;
        }

        String fieldText(Field f) {
            if (f == Field.STATEMENT) {
                return keyword;
            }
            String t = keywordText.get(f);
            return t != null ? t : f.keyword;
        }
    }

    record Pos(int line, int col) {
        @Override
        public String toString() {
            return line + ":" + col;
        }
    }

    // ---- file and block structure ------------------------------------------------------------------------

    private ConfigResult run() {
        Token block = null;
        Token firstTop = null;
        while (peek().kind() != Kind.EOF) {
            Token t = peek();
            if (t.kind() == Kind.EOL) {
                pos++;
            } else if (t.isWord("ipsec")) {
                if (block != null) {
                    error(t, "ipsec", "only one ipsec block is allowed (the first is at line " + block.line() + ")");
                } else if (firstTop != null) {
                    error(t, "ipsec", "statements at top level (line " + firstTop.line()
                            + ") and an ipsec block: use one or the other");
                }
                if (block == null) {
                    block = t;
                }
                block();
            } else if (t.kind() == Kind.RBRACE) {
                error(t, "}", "unexpected '}' outside the ipsec block");
                pos++;
            } else {
                if (block != null && t.kind() == Kind.WORD) {
                    error(t, t.text(), "statement after the ipsec block; move it inside the block");
                }
                if (firstTop == null) {
                    firstTop = t;
                }
                statement();
            }
        }
        return finish();
    }

    private void block() {
        Token ipsec = next();
        skipEols();
        if (peek().kind() != Kind.LBRACE) {
            error(peek(), "ipsec", "expected '{' after ipsec, found " + describe(peek()));
            skipLine();
            return;
        }
        Token brace = next();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOL -> pos++;
                case EOF -> {
                    error(brace, "ipsec", "missing '}' for the block opened at line " + ipsec.line());
                    return;
                }
                case RBRACE -> {
                    pos++;
                    if (peek().kind() != Kind.EOL && peek().kind() != Kind.EOF) {
                        error(peek(), "}", "unexpected " + describe(peek()) + " after '}'");
                        skipLine();
                    }
                    return;
                }
                default -> {
                    if (t.isWord("ipsec")) {
                        error(t, "ipsec", "ipsec blocks cannot be nested");
                        skipLine();
                    } else {
                        statement();
                    }
                }
            }
        }
    }

    private void statement() {
        Token first = next();
        List<Token> body = new ArrayList<>();
        while (peek().kind() != Kind.EOL && peek().kind() != Kind.EOF && peek().kind() != Kind.RBRACE) {
            body.add(next());
        }
        if (peek().kind() == Kind.EOL) {
            pos++;
        }
        if (first.isWord("ike") || first.isWord("manual")) {
            Statement st = new Statement(first.text(), new Pos(first.line(), first.col()));
            StatementParser sp = new StatementParser(this, st, body);
            st.draft = first.isWord("ike") ? sp.ike() : sp.manual();
            statements.add(st);
            return;
        }
        if (first.kind() == Kind.WORD) {
            String w = first.text();
            if (IKE_KEYWORDS.contains(w) || MANUAL_KEYWORDS.contains(w)) {
                error(first, w, "a statement starts with ike or manual, found '" + w + "'");
            } else {
                error(first, "statement", unknownWord(w, STATEMENTS));
            }
        } else {
            error(first, "statement", "expected ike or manual, found " + describe(first));
        }
    }

    String unknownWord(String w, List<String> known) {
        if (w.startsWith("0x") || w.startsWith("0X")) {
            return "unexpected 0x value; keys follow enckey or authkey as KEY[:KEY]";
        }
        return Names.closest(w, known)
                .map(s -> "unknown keyword '" + w + "'; did you mean '" + s + "'?")
                .orElse("unknown keyword '" + w + "'");
    }

    /** Describes a token without its content when the content might be secret. */
    static String describe(Token t) {
        return switch (t.kind()) {
            case WORD -> t.text().startsWith("0x") || t.text().startsWith("0X") ? "a 0x value" : "'" + t.text() + "'";
            case STRING, BAD_STRING -> "a quoted string";
            case LBRACE -> "'{'";
            case RBRACE -> "'}'";
            case EOL, EOF -> "end of line";
        };
    }

    private Token peek() {
        return tokens.get(pos);
    }

    private Token next() {
        return tokens.get(pos++);
    }

    private void skipEols() {
        while (peek().kind() == Kind.EOL) {
            pos++;
        }
    }

    private void skipLine() {
        while (peek().kind() != Kind.EOL && peek().kind() != Kind.EOF) {
            pos++;
        }
    }

    void error(Token t, String field, String message) {
        diagnostics.add(new Diagnostic(Diagnostic.Severity.ERROR, source, t.line(), t.col(), field, message));
    }

    // ---- validation and result ---------------------------------------------------------------------------

    private ConfigResult finish() {
        List<TunnelDraft> drafts = statements.stream().map(s -> s.draft).toList();
        Validator.Outcome outcome = Validator.validate(drafts, support, running);
        Function<Problem.Ref, String> where = ref -> "line " + statements.get(ref.tunnel()).position(ref.field(), ref.item()).line();
        for (Problem p : outcome.problems()) {
            Statement st = statements.get(p.tunnel());
            Pos at = st.position(p.field(), p.item());
            diagnostics.add(new Diagnostic(p.severity(), source, at.line(), at.col(), st.fieldText(p.field()), p.render(where)));
        }
        List<Diagnostic> unique = new ArrayList<>(new LinkedHashSet<>(diagnostics));
        unique.sort(Comparator.comparingInt(Diagnostic::line).thenComparingInt(Diagnostic::column));
        List<Diagnostic> errors = unique.stream().filter(Diagnostic::isError).toList();
        List<Diagnostic> warnings = unique.stream().filter(d -> !d.isError()).toList();
        Optional<IpsecConfig> config = errors.isEmpty()
                ? Optional.of(new IpsecConfig(outcome.tunnels())) : Optional.empty();
        return new ConfigResult(config, errors, warnings);
    }
}
