package net.palisade.model.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits config text into tokens. A statement ends at end of line unless the line ends with {@code \}; {@code #}
 * starts a comment to end of line; strings are double-quoted with {@code \"} and {@code \\} as the only escapes and
 * end on the same line. A malformed string becomes a {@link Kind#BAD_STRING} token whose {@code problem} says what
 * is wrong without repeating the content (it may be a secret).
 */
final class Lexer {
    enum Kind {
        WORD,
        STRING,
        BAD_STRING,
        LBRACE,
        RBRACE,
        EOL,
        EOF
    }

    /** A token: for STRING the unescaped content; for BAD_STRING, {@code problem} explains. */
    record Token(Kind kind, String text, int line, int col, String problem) {
        boolean isWord(String w) {
            return kind == Kind.WORD && text.equals(w);
        }

        boolean isValue() {
            return kind == Kind.WORD || kind == Kind.STRING || kind == Kind.BAD_STRING;
        }
    }

    private final String s;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    private int line = 1;
    private int lineStart;

    private Lexer(String s) {
        this.s = s;
    }

    static List<Token> lex(String text) {
        Lexer l = new Lexer(text);
        l.run();
        return l.out;
    }

    private int col() {
        return pos - lineStart + 1;
    }

    private void run() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            switch (c) {
                case ' ', '\t', '\r', '\f' -> pos++;
                case '\n' -> {
                    add(Kind.EOL, "\n", col(), null);
                    newline();
                }
                case '#' -> {
                    while (pos < s.length() && s.charAt(pos) != '\n') {
                        pos++;
                    }
                }
                case '{' -> {
                    add(Kind.LBRACE, "{", col(), null);
                    pos++;
                }
                case '}' -> {
                    add(Kind.RBRACE, "}", col(), null);
                    pos++;
                }
                case '"' -> string();
                case '\\' -> {
                    if (!continuation()) {
                        word();
                    }
                }
                default -> word();
            }
        }
        add(Kind.EOL, "", col(), null);
        add(Kind.EOF, "", col(), null);
    }

    private void newline() {
        pos++;
        line++;
        lineStart = pos;
    }

    /** A backslash followed only by blanks up to end of line joins the next line. */
    private boolean continuation() {
        int p = pos + 1;
        while (p < s.length() && (s.charAt(p) == ' ' || s.charAt(p) == '\t' || s.charAt(p) == '\r')) {
            p++;
        }
        if (p < s.length() && s.charAt(p) != '\n') {
            return false;
        }
        pos = p;
        if (pos < s.length()) {
            newline();
        }
        return true;
    }

    private static boolean wordChar(char c) {
        return !(c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\n' || c == '"' || c == '#' || c == '{'
                || c == '}');
    }

    private void word() {
        int start = pos;
        int c = col();
        while (pos < s.length() && wordChar(s.charAt(pos))) {
            pos++;
        }
        add(Kind.WORD, s.substring(start, pos), c, null);
    }

    private void string() {
        int c = col();
        pos++;
        StringBuilder sb = new StringBuilder();
        String problem = null;
        while (true) {
            if (pos >= s.length() || s.charAt(pos) == '\n') {
                add(Kind.BAD_STRING, "", c, "unterminated string");
                return;
            }
            char ch = s.charAt(pos);
            if (ch == '"') {
                pos++;
                break;
            }
            if (ch == '\\' && pos + 1 < s.length() && (s.charAt(pos + 1) == '"' || s.charAt(pos + 1) == '\\')) {
                sb.append(s.charAt(pos + 1));
                pos += 2;
                continue;
            }
            if (ch == '\\') {
                problem = "invalid escape in string (only \\\" and \\\\ are allowed)";
            }
            sb.append(ch);
            pos++;
        }
        if (pos < s.length() && wordChar(s.charAt(pos)) || pos < s.length() && s.charAt(pos) == '"') {
            while (pos < s.length() && (wordChar(s.charAt(pos)) || s.charAt(pos) == '"')) {
                pos++;
            }
            problem = "unexpected text right after the closing quote";
        }
        if (problem != null) {
            add(Kind.BAD_STRING, "", c, problem);
        } else {
            add(Kind.STRING, sb.toString(), c, null);
        }
    }

    private void add(Kind kind, String text, int column, String problem) {
        out.add(new Token(kind, text, line, column, problem));
    }
}
