package dev.phronesis.llm;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One named model as configured: which protocol, which model, where, which environment variable
 * holds its key (never the key itself), how hard to drive it, what it costs, and extra request
 * parameters passed through verbatim (e.g. {@code reasoning_effort}, {@code thinking}).
 */
public record ModelSpec(String name, Backend backend, String model, String baseUrl, String apiKeyEnv,
                        ModelLimits limits, ModelPrices prices, Map<String, Object> params) {

    /** The wire protocols the engine speaks. */
    public enum Backend {
        OPENAI, ANTHROPIC, OPENAI_BATCH, ANTHROPIC_BATCH;

        public String wire() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

        public boolean isBatch() { return this == OPENAI_BATCH || this == ANTHROPIC_BATCH; }

        public boolean isAnthropic() { return this == ANTHROPIC || this == ANTHROPIC_BATCH; }

        public String defaultBaseUrl() { return isAnthropic() ? "https://api.anthropic.com" : "https://api.openai.com/v1"; }

        public String defaultKeyEnv() { return isAnthropic() ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY"; }

        /** Null when {@code s} names no backend. */
        public static Backend parse(String s) {
            for (Backend b : values()) if (b.wire().equals(s)) return b;
            return null;
        }
    }

    public ModelSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(model, "model");
        if (model.isBlank()) throw new IllegalArgumentException("model must not be blank");
        baseUrl = baseUrl == null || baseUrl.isBlank() ? backend.defaultBaseUrl() : stripSlash(baseUrl);
        if (USERINFO.matcher(baseUrl).find()) // the URL is written to distill.json, llm-usage.json, the journal and stdout: no secret may ride in it
            throw new IllegalArgumentException("base_url must not carry credentials (user:password@host); name an environment variable holding the key with api_key_env");
        limits = limits == null ? ModelLimits.DEFAULT : limits;
        prices = prices == null ? ModelPrices.FREE : prices;
        params = params == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }

    /** A stable identity used in cache keys: protocol family, model and endpoint (batch and online share answers). */
    public String id() {
        String family = backend.isAnthropic() ? "anthropic" : "openai";
        return family + ":" + model + "@" + baseUrl;
    }

    public ModelSpec withLimits(ModelLimits l) { return new ModelSpec(name, backend, model, baseUrl, apiKeyEnv, l, prices, params); }
    public ModelSpec withPrices(ModelPrices p) { return new ModelSpec(name, backend, model, baseUrl, apiKeyEnv, limits, p, params); }
    public ModelSpec withBackend(Backend b) { return new ModelSpec(name, b, model, baseUrl, apiKeyEnv, limits, prices, params); }

    /** {@code scheme://user[:password]@} at the start of a URL. */
    private static final java.util.regex.Pattern USERINFO = java.util.regex.Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://[^/?#@]*@");

    private static String stripSlash(String u) { return u.endsWith("/") ? u.substring(0, u.length() - 1) : u; }
}
