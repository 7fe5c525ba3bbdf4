package net.palisade.model.config;

/**
 * The parts of a tunnel that a problem can be about: the config keyword (FIELD in a diagnostic), the JSON path,
 * and where to point when the field was not written.
 */
enum Field {
    STATEMENT("", "", Kind.SINGLE, null),
    EXCHANGE("ike", "exchange", Kind.SINGLE, STATEMENT),
    LABEL("label", "label", Kind.SINGLE, STATEMENT),
    FROM("from", "from", Kind.LIST, STATEMENT),
    TO("to", "to", Kind.LIST, STATEMENT),
    LOCAL("local", "local", Kind.SINGLE, STATEMENT),
    PEER("peer", "peers", Kind.LIST, STATEMENT),
    PHASE1("ikesa", "ikeSa", Kind.SINGLE, STATEMENT),
    IKE_ENC("enc", "ikeSa.enc", Kind.LIST, PHASE1),
    IKE_AUTH("auth", "ikeSa.auth", Kind.LIST, PHASE1),
    IKE_PRF("prf", "ikeSa.prf", Kind.LIST, PHASE1),
    IKE_GROUP("group", "ikeSa.groups", Kind.LIST, PHASE1),
    IKE_LIFETIME("lifetime", "ikeSa.lifetime", Kind.SINGLE, PHASE1),
    PHASE2("childsa", "childSa", Kind.SINGLE, STATEMENT),
    CHILD_ENC("enc", "childSa.enc", Kind.LIST, PHASE2),
    CHILD_AUTH("auth", "childSa.auth", Kind.LIST, PHASE2),
    CHILD_GROUP("group", "childSa.groups", Kind.LIST, PHASE2),
    CHILD_LIFETIME("lifetime", "childSa.lifetime", Kind.SINGLE, PHASE2),
    SRCID("srcid", "srcId", Kind.SINGLE, STATEMENT),
    DSTID("dstid", "dstId", Kind.SINGLE, STATEMENT),
    PSK("psk", "authentication.psk", Kind.SINGLE, STATEMENT),
    CERT("cert", "authentication.cert", Kind.SINGLE, STATEMENT),
    KEY("key", "authentication.key", Kind.SINGLE, CERT),
    CA("ca", "authentication.ca", Kind.SINGLE, CERT),
    DPD("dpd", "dpd", Kind.SINGLE, STATEMENT),
    PING("ping", "ping", Kind.SINGLE, STATEMENT),
    ENCAP("encap", "encap", Kind.SINGLE, STATEMENT),
    SA_PER_FLOW("sa-per-flow", "saPerFlow", Kind.SINGLE, STATEMENT),
    SPI("spi", "spi", Kind.PAIR, STATEMENT),
    ENC("enc", "enc", Kind.SINGLE, STATEMENT),
    ENCKEY("enckey", "encKey", Kind.PAIR, ENC),
    AUTH("auth", "auth", Kind.SINGLE, ENC),
    AUTHKEY("authkey", "authKey", Kind.PAIR, AUTH),
    UDPENCAP("udpencap", "udpEncapPort", Kind.SINGLE, STATEMENT);

    /** How items of the field appear in a JSON path. */
    enum Kind {
        /** One value: no suffix. */
        SINGLE,
        /** A list: {@code [i]}. */
        LIST,
        /** Inbound/outbound: {@code .inbound}, {@code .outbound}. */
        PAIR
    }

    final String keyword;
    final String jsonPath;
    final Kind kind;
    final Field fallback;

    Field(String keyword, String jsonPath, Kind kind, Field fallback) {
        this.keyword = keyword;
        this.jsonPath = jsonPath;
        this.kind = kind;
        this.fallback = fallback;
    }

    /** The JSON path of item {@code item} (-1: the field itself), relative to the tunnel. */
    String jsonPath(int item) {
        if (item < 0 || kind == Kind.SINGLE) {
            return jsonPath;
        }
        if (kind == Kind.PAIR) {
            return jsonPath + (item == 0 ? ".inbound" : ".outbound");
        }
        return jsonPath + "[" + item + "]";
    }
}
