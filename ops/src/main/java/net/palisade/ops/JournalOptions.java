package net.palisade.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import net.palisade.controlplane.journal.JournalSettings;

/**
 * The journal options {@code palisade run} and {@code palisade replay} share: {@code --journal-url} (a
 * {@code jdbc:postgresql:} URL), {@code --journal-user} and {@code --journal-password-file}. The password is read from
 * the file only, never taken on the command line, and never printed.
 */
final class JournalOptions {
    private JournalOptions() {}

    /**
     * @throws IllegalArgumentException naming the option: a URL that is not PostgreSQL's, an unreadable password file
     */
    static JournalSettings postgres(String url, String user, Path passwordFile) {
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("--journal-url: only jdbc:postgresql: URLs are supported (the default"
                    + " is embedded H2 in DIR)");
        }
        String password = "";
        if (passwordFile != null) {
            try {
                password = Files.readString(passwordFile).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException("--journal-password-file: cannot read " + passwordFile + " ("
                        + e.getClass().getSimpleName() + ")");
            }
        }
        return JournalSettings.postgres(url, user == null ? "" : user, password);
    }
}
