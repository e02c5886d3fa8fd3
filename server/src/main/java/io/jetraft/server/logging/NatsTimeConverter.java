package io.jetraft.server.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/** Writes an event's time as nats-server does, to the microsecond: {@code 2006/01/02 15:04:05.000000}. */
public final class NatsTimeConverter extends ClassicConverter {

    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss.SSSSSS")
            .withZone(ZoneId.systemDefault());

    @Override
    public String convert(ILoggingEvent event) {
        return FORMAT.format(event.getInstant());
    }
}
