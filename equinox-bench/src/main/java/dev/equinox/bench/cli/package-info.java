/**
 * The {@code equinox} command-line tool (picocli). Entry point: {@link dev.equinox.bench.cli.EquinoxCli#main};
 * commands {@code replay}, {@code suite}, {@code sweep}, {@code export}, plus the commands of equinox-gpu and
 * equinox-mope when they are on the class path.
 */
package dev.equinox.bench.cli;
