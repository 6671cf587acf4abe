package dev.phronesis.train.hf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HfConfigTest {
    static ObjectNode base(String arch, String type) {
        ObjectNode n = HfSafetensors.JSON.createObjectNode();
        n.putArray("architectures").add(arch);
        n.put("model_type", type).put("vocab_size", 100).put("hidden_size", 64).put("intermediate_size", 128)
                .put("num_hidden_layers", 2).put("num_attention_heads", 4).put("num_key_value_heads", 2)
                .put("rms_norm_eps", 1e-6).put("rope_theta", 10000.0).put("tie_word_embeddings", true)
                .put("max_position_embeddings", 256).put("torch_dtype", "bfloat16");
        return n;
    }

    @Test void familiesDifferInBiasesNormsAndTensors() {
        HfConfig llama = HfConfig.fromJson(base("LlamaForCausalLM", "llama"), "config.json");
        HfConfig qwen2 = HfConfig.fromJson(base("Qwen2ForCausalLM", "qwen2"), "config.json");
        HfConfig qwen3 = HfConfig.fromJson(base("Qwen3ForCausalLM", "qwen3").put("head_dim", 32), "config.json");
        assertThat(llama.qkvBias() || llama.qkNorm() || llama.oBias()).isFalse();
        assertThat(qwen2.qkvBias()).isTrue();
        assertThat(qwen2.expectedTensors()).containsKey("model.layers.1.self_attn.k_proj.bias");
        assertThat(qwen2.expectedTensors().get("model.layers.1.self_attn.k_proj.bias")).containsExactly(32);
        assertThat(qwen3.qkNorm()).isTrue();
        assertThat(qwen3.headDim()).isEqualTo(32); // explicit head_dim, not hidden/heads
        assertThat(qwen3.expectedTensors().get("model.layers.0.self_attn.q_proj.weight")).containsExactly(128, 64);
        assertThat(qwen3.expectedTensors().get("model.layers.0.self_attn.q_norm.weight")).containsExactly(32);
        assertThat(llama.kvGroups()).isEqualTo(2);
        assertThat(llama.expectedTensors()).doesNotContainKey("lm_head.weight"); // tied
        // params: embed 6400 + 2 * (64 + 64*64 + 2*32*64 + 64*64 + 64 + 3*64*128) + 64
        assertThat(llama.parameterCount()).isEqualTo(6400 + 2L * (64 + 4096 + 4096 + 4096 + 64 + 3 * 8192) + 64);
    }

    @Test void configRoundTripsThroughJson() {
        var n = base("LlamaForCausalLM", "llama");
        n.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 64);
        HfConfig c = HfConfig.fromJson(n, "config.json");
        assertThat(HfConfig.fromJson(c.toJson(), "again")).isEqualTo(c);
    }

    @Test void llama3RopeScalingFollowsTheThreeBands() {
        var n = base("LlamaForCausalLM", "llama");
        n.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 64);
        float[] scaled = HfConfig.fromJson(n, "c").inverseFrequencies();
        float[] plain = HfConfig.fromJson(base("LlamaForCausalLM", "llama"), "c").inverseFrequencies();
        assertThat(scaled[0]).isEqualTo(plain[0]); // highest frequency: wavelength 2π < 64/4, untouched
        int last = plain.length - 1; // wavelength 2π·10000^(14/16) ≫ 64: divided by the factor
        assertThat((double) scaled[last]).isCloseTo(plain[last] / 8.0, org.assertj.core.data.Offset.offset(1e-9));
        for (int i = 0; i < plain.length; i++) assertThat(scaled[i]).isBetween(plain[i] / 8f - 1e-9f, plain[i]);
        var lin = base("LlamaForCausalLM", "llama");
        lin.putObject("rope_scaling").put("type", "linear").put("factor", 2.0);
        assertThat(HfConfig.fromJson(lin, "c").inverseFrequencies()[3]).isEqualTo(plain[3] / 2f);
    }

    @Test void transformers5RopeParametersAreRead() {
        var n = base("LlamaForCausalLM", "llama");
        n.remove("rope_theta");
        n.putObject("rope_parameters").put("rope_type", "llama3").put("rope_theta", 500000.0).put("factor", 8.0)
                .put("low_freq_factor", 1.0).put("high_freq_factor", 4.0).put("original_max_position_embeddings", 32);
        HfConfig c = HfConfig.fromJson(n, "c");
        assertThat(c.ropeTheta()).isEqualTo(500000.0);
        assertThat(c.ropeScaling()).isEqualTo(new HfConfig.RopeScaling.Llama3(8.0, 1.0, 4.0, 32));
        var q = base("Qwen2ForCausalLM", "qwen2");
        q.remove("rope_theta");
        q.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 1e6);
        q.putArray("layer_types").add("full_attention").add("sliding_attention");
        assertThatThrownBy(() -> HfConfig.fromJson(q, "q.json")).hasMessageContaining("layer_types[1]");
        q.remove("layer_types");
        assertThat(HfConfig.fromJson(q, "q").ropeTheta()).isEqualTo(1e6);
        assertThat(HfConfig.fromJson(q, "q").ropeScaling()).isEqualTo(new HfConfig.RopeScaling.None());
    }

    @Test void errorsNameTheFileAndField() {
        assertThatThrownBy(() -> HfConfig.fromJson(base("MistralForCausalLM", "mistral"), "m/config.json"))
                .isInstanceOf(UserError.class).hasMessageContaining("m/config.json").hasMessageContaining("'architectures'")
                .hasMessageContaining("MistralForCausalLM").hasMessageContaining("Qwen2ForCausalLM");
        var yarn = base("Qwen2ForCausalLM", "qwen2");
        yarn.putObject("rope_scaling").put("type", "yarn").put("factor", 4.0);
        assertThatThrownBy(() -> HfConfig.fromJson(yarn, "c.json")).hasMessageContaining("rope_scaling.rope_type").hasMessageContaining("yarn");
        assertThatThrownBy(() -> HfConfig.fromJson(base("Qwen2ForCausalLM", "qwen2").put("use_sliding_window", true), "c.json"))
                .hasMessageContaining("use_sliding_window");
        assertThatThrownBy(() -> HfConfig.fromJson(base("LlamaForCausalLM", "llama").put("num_key_value_heads", 3), "c.json"))
                .hasMessageContaining("c.json").hasMessageContaining("num_key_value_heads");
        var noVocab = base("LlamaForCausalLM", "llama");
        noVocab.remove("vocab_size");
        assertThatThrownBy(() -> HfConfig.fromJson(noVocab, "c.json")).hasMessageContaining("field 'vocab_size'");
    }
}
