package io.jetraft.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/** Writes a log level the way nats-server does: INF, DBG, TRC, WRN, ERR. */
public final class NatsLevelConverter extends ClassicConverter {

    @Override
    public String convert(ILoggingEvent event) {
        return switch (event.getLevel().toInt()) {
            case Level.TRACE_INT -> "TRC";
            case Level.DEBUG_INT -> "DBG";
            case Level.INFO_INT -> "INF";
            case Level.WARN_INT -> "WRN";
            case Level.ERROR_INT -> "ERR";
            default -> event.getLevel().toString();
        };
    }
}
