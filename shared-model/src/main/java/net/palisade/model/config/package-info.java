/**
 * The two doors into the model and the one way out: the config language
 * ({@link net.palisade.model.config.ConfigParser}, {@code docs/config.md}) and JSON
 * ({@link net.palisade.model.config.ConfigJson}, {@link net.palisade.model.config.JsonDoor}) both go through the same
 * {@link net.palisade.model.config.Validator} and report every problem as a
 * {@link net.palisade.model.config.Diagnostic} that names where and never shows a secret;
 * {@link net.palisade.model.config.ConfigPrinter} writes a configuration back in the language.
 */
package net.palisade.model.config;
