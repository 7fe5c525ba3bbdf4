package net.palisade.controlplane.ike.auth;

/**
 * Our certificate, key or CA file cannot be used. The message names the file and what is wrong with it
 * ({@code "/etc/palisade/gw1.key: not a private key"}); it never contains key material.
 */
public final class CredentialException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A problem with a file, or with how the files fit together. */
    public CredentialException(String message) {
        super(message);
    }

    /** A problem with a file, with the underlying cause (its message must not carry key material either). */
    public CredentialException(String message, Throwable cause) {
        super(message, cause);
    }
}
