package net.palisade.dataplane.io;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CpuAffinityTest {
    @Test
    void reportsOnlineCpus() {
        assertThat(CpuAffinity.onlineCpus()).isPositive();
        assertThat(CpuAffinity.onlineCpus()).isGreaterThanOrEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void pinsAThreadAndReadsItBack() throws Exception {
        BitSet allowed = CpuAffinity.currentThreadAffinity();
        assertThat(allowed.cardinality()).isPositive();
        int target = allowed.length() - 1; // the highest CPU this process may use
        AtomicReference<Object[]> result = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("pin-test").start(() -> {
            boolean pinned = CpuAffinity.pinCurrentThread(target);
            result.set(new Object[] {pinned, CpuAffinity.currentThreadAffinity(), CpuAffinity.currentCpu()});
        });
        t.join();
        assertThat((Boolean) result.get()[0]).isTrue();
        BitSet expected = new BitSet();
        expected.set(target);
        assertThat((BitSet) result.get()[1]).isEqualTo(expected);
        assertThat((Integer) result.get()[2]).isEqualTo(target);
        // the test thread itself is untouched
        assertThat(CpuAffinity.currentThreadAffinity()).isEqualTo(allowed);
    }

    @Test
    void impossibleCpuIsANoOpNotAnError() throws Exception {
        AtomicReference<Boolean> r = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> r.set(CpuAffinity.pinCurrentThread(1000)));
        t.join();
        assertThat(r.get()).isFalse();
        Thread t2 = Thread.ofPlatform().start(() -> r.set(CpuAffinity.pinCurrentThread(5000)));
        t2.join();
        assertThat(r.get()).isFalse();
    }
}
