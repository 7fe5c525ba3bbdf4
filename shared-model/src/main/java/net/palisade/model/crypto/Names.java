package net.palisade.model.crypto;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * "Did you mean" for keywords and algorithm names: the closest candidate by optimal-string-alignment distance
 * (insertions, deletions, substitutions and swaps of neighbours), if it is close enough to be a plausible typo.
 */
public final class Names {
    private Names() {}

    /**
     * The candidate closest to {@code word}, when at most 2 edits away (1 for words of up to 3 characters) and
     * closer than the word's own length. Ties go to the earlier candidate.
     */
    public static Optional<String> closest(String word, Collection<String> candidates) {
        String w = word.toLowerCase(Locale.ROOT);
        int limit = w.length() <= 3 ? 1 : 2;
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(w, c.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        if (best != null && bestDistance <= limit && bestDistance < w.length()) {
            return Optional.of(best);
        }
        return Optional.empty();
    }

    /** Optimal string alignment distance (Damerau-Levenshtein without repeated edits of one substring). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[a.length()][b.length()];
    }

    /** The message for an unknown name: with a suggestion when one is close, else the list of known names. */
    public static String unknown(String what, String word, Collection<String> known) {
        return closest(word, known)
                .map(s -> "unknown " + what + " '" + word + "'; did you mean '" + s + "'?")
                .orElseGet(() -> "unknown " + what + " '" + word + "'; expected one of " + String.join(", ", known));
    }
}
