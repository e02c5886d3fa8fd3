package io.jetraft.cluster.harness;

import java.lang.reflect.Field;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** Prints every node's log when a test fails, for a test class with a {@link LocalCluster} field. */
public final class ClusterLogsOnFailure implements TestWatcher {

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Object test = context.getRequiredTestInstance();
        for (Field f : test.getClass().getDeclaredFields()) {
            if (f.getType() == LocalCluster.class) {
                try {
                    f.setAccessible(true);
                    Object cluster = f.get(test);
                    if (cluster != null) {
                        System.out.println("Test " + context.getDisplayName() + " failed: " + cause);
                        System.out.println(((LocalCluster) cluster).describe());
                    }
                } catch (IllegalAccessException e) {
                    System.out.println("cannot read the cluster of the failed test: " + e);
                }
            }
        }
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        testFailed(context, cause);
    }

}
