package io.jetraft.server.subject;

/** Learns of every client subscription added or removed on this node, to tell the other nodes (routes). */
public interface InterestListener {

    InterestListener NONE = new InterestListener() {
        @Override
        public void added(Subscription subscription) {
        }

        @Override
        public void removed(Subscription subscription) {
        }
    };

    void added(Subscription subscription);

    void removed(Subscription subscription);
}
