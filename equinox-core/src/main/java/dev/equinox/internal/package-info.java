/**
 * Implementation helpers shared by the exported packages. Not API: the module does not export this package, and
 * anything here may change without notice.
 */
package dev.equinox.internal;
