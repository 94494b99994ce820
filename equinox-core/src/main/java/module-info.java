/**
 * Equinox core: the scheduler API ({@code dev.equinox}), its SPIs ({@code dev.equinox.spi}), engine cost models
 * ({@code dev.equinox.cost}), fairness metrics ({@code dev.equinox.metrics}) and the Micrometer binder
 * ({@code dev.equinox.micrometer}). Implementation classes (the scheduler, the policies, the request record) are
 * package-private in {@code dev.equinox}: the compiler, not a naming convention, keeps them internal. Helpers
 * shared across packages live in {@code dev.equinox.internal}, which this module does not export (on the class
 * path it is visible, and not API). Micrometer
 * is optional ({@code requires static}): only {@code dev.equinox.micrometer} links it.
 */
module dev.equinox.core {
    requires org.slf4j;
    requires static micrometer.core;

    exports dev.equinox;
    exports dev.equinox.spi;
    exports dev.equinox.cost;
    exports dev.equinox.metrics;
    exports dev.equinox.micrometer;

    uses dev.equinox.spi.PredictorProvider;
}
