package net.palisade.dataplane.esp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads test vectors laid out as in RFC text: {@code name = hex (comment)} with hex continuation lines. Also
 * understands {@code "ascii text"} and {@code hh * n} (octet repeated n times). Lines before the first block and
 * lines that are not hex (page headers, prose) are ignored.
 */
final class VectorFile {

    private static final Pattern TEST_CASE = Pattern.compile("^\\s*Test Case (\\S+):\\s*$");
    private static final Pattern FIELD = Pattern.compile("^\\s*([A-Za-z][A-Za-z0-9_+\\- ]*?)\\s*=\\s*(.*)$");
    private static final Pattern REPEAT = Pattern.compile("^([0-9a-fA-F]{2})\\s*\\*\\s*(\\d+)$");
    private static final Pattern HEX = Pattern.compile("^[0-9a-fA-F]*$");

    /** One test case: field name (lower case) to value; {@link #title()} names it for reports. */
    record Block(String title, Map<String, String> fields) {
        byte[] bytes(String name) {
            String v = fields.get(name);
            if (v == null) {
                throw new IllegalArgumentException(title + ": no field '" + name + "' in " + fields.keySet());
            }
            return HexFormat.of().parseHex(v);
        }

        String text(String name) {
            return fields.get(name);
        }

        boolean has(String name) {
            return fields.containsKey(name);
        }

        @Override
        public String toString() {
            return title;
        }
    }

    private VectorFile() {
    }

    /**
     * @param startField a block starts at each {@code startField = ...} line, or at {@code Test Case X:} lines
     *     when this is {@code "test case"}
     */
    static List<Block> read(String resource, String startField) {
        List<Block> blocks = new ArrayList<>();
        try (InputStream in = VectorFile.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("missing test resource " + resource);
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            Map<String, String> current = null;
            String title = null;
            String lastField = null;
            boolean lastIsHex = false;
            String line;
            while ((line = reader.readLine()) != null) {
                Matcher tc = TEST_CASE.matcher(line);
                if (startField.equals("test case") && tc.matches()) {
                    current = new LinkedHashMap<>();
                    title = tc.group(1);
                    blocks.add(new Block(title, current));
                    lastField = null;
                    continue;
                }
                Matcher f = FIELD.matcher(line);
                if (f.matches()) {
                    String name = f.group(1).trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
                    String raw = f.group(2).trim();
                    if (name.equals(startField)) {
                        current = new LinkedHashMap<>();
                        title = startField + " " + raw + " #" + (blocks.size() + 1);
                        blocks.add(new Block(title, current));
                    }
                    if (current == null) {
                        continue;
                    }
                    String value = value(raw);
                    lastIsHex = value != null;
                    current.put(name, value != null ? value : raw);
                    lastField = name;
                    continue;
                }
                if (current != null && lastField != null && lastIsHex) {
                    String stripped = stripComments(line);
                    if (!stripped.isEmpty() && HEX.matcher(stripped).matches()) {
                        current.put(lastField, current.get(lastField) + stripped.toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return blocks;
    }

    /** Hex string for a value, or null if the value is not octets (e.g. an algorithm name). */
    private static String value(String raw) {
        if (raw.startsWith("\"")) {
            int end = raw.indexOf('"', 1);
            return HexFormat.of().formatHex(raw.substring(1, end).getBytes(StandardCharsets.US_ASCII));
        }
        String stripped = stripComments(raw);
        Matcher rep = REPEAT.matcher(stripped);
        if (rep.matches()) {
            return rep.group(1).toLowerCase(Locale.ROOT).repeat(Integer.parseInt(rep.group(2)));
        }
        if (HEX.matcher(stripped).matches()) {
            return stripped.toLowerCase(Locale.ROOT);
        }
        return null;
    }

    private static String stripComments(String s) {
        return s.replaceAll("\\([^)]*\\)", "").replaceAll("\\s+", "");
    }
}
