package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.spi.PredictorProvider;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class MopePredictorProviderTest {

    @Test
    void serviceLoader_classPath_findsMope() {
        boolean found = false;
        for (PredictorProvider p : ServiceLoader.load(PredictorProvider.class)) {
            found |= p.name().equals("mope") && p instanceof MopePredictorProvider;
        }
        assertTrue(found);
    }

    @Test
    void create_unknownOption_throwsIllegalArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MopePredictorProvider().create(Map.of("modle", "x")));
        assertTrue(e.getMessage().contains("modle"));
    }

    @Test
    void create_missingModelDirectory_throwsMopeException() {
        assertThrows(MopeException.class, () -> new MopePredictorProvider().create(Map.of("model", "/nonexistent/mope")));
    }

    @Test
    void create_noOptions_loadsDefaultModel() {
        try (var p = new MopePredictorProvider().create(Map.of())) {
            assertEquals("mope", p.name());
            assertTrue(p.isBlocking());
        }
    }
}
