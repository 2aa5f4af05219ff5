package org.unmask.views;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.unmask.diffusion.SampleResult;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.StepEvent;
import org.unmask.diffusion.StepListener;
import org.unmask.files.AtomicFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code --trace} view: a JSON record of a run — the settings, every step's committed positions, tokens and
 * confidences (plus re-masked and early-stop-filled positions) per batch row, and the final ids.
 */
public final class TraceRecorder implements StepListener {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final List<Map<String, Object>> steps = new ArrayList<>();

    @Override
    public void onStep(StepEvent e) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (StepEvent.RowStep r : e.rows()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("row", r.row());
            m.put("positions", r.positions());
            m.put("tokens", r.tokens());
            List<Double> conf = new ArrayList<>();
            for (double c : r.confidences()) conf.add(Double.isFinite(c) ? c : null);
            m.put("confidences", conf);
            if (r.remasked().length > 0) m.put("remasked", r.remasked());
            if (r.filled().length > 0) m.put("filled_eos", r.filled());
            rows.add(m);
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("step", e.step());
        s.put("block", e.block());
        s.put("rows", rows);
        steps.add(s);
    }

    /** The JSON document for a finished run. */
    public Map<String, Object> document(SamplerConfig cfg, SampleResult result) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("gen_length", cfg.genLength());
        settings.put("steps", cfg.steps());
        settings.put("block_length", cfg.blockLength());
        settings.put("remasking", cfg.remasking().cliName());
        settings.put("temperature", cfg.temperature());
        settings.put("cfg_scale", cfg.cfgScale());
        if (!Double.isNaN(cfg.threshold())) settings.put("threshold", cfg.threshold());
        if (!Double.isNaN(cfg.factor())) settings.put("factor", cfg.factor());
        if (cfg.remasking().isDream()) {
            settings.put("top_p", cfg.topP());
            settings.put("top_k", cfg.topK());
            settings.put("alg_temp", cfg.algTemp());
            settings.put("eps", cfg.eps());
        }
        settings.put("logits_eos_inf", cfg.logitsEosInf());
        settings.put("confidence_eos_eot_inf", cfg.confidenceEosEotInf());
        settings.put("reference_eos_quirk", cfg.referenceEosQuirk());
        settings.put("early_stop", cfg.earlyStop());
        if (cfg.remdm() != null) {
            settings.put("remdm_schedule", cfg.remdm().schedule().name().toLowerCase(java.util.Locale.ROOT));
            settings.put("remdm_eta", cfg.remdm().eta());
            settings.put("remdm_window", cfg.remdm().window());
            settings.put("remdm_loop", cfg.remdm().loop());
        }
        if (cfg.blockCausal()) settings.put("block_causal", true);
        if (cfg.editing() != null) {
            settings.put("editing_threshold", cfg.editing().threshold());
            settings.put("max_post_steps", cfg.editing().maxPostSteps());
        }
        settings.put("seed", cfg.seed());
        settings.put("mask_id", cfg.maskId());
        settings.put("eos_id", cfg.eosId());
        settings.put("eot_id", cfg.eotId());
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("settings", settings);
        doc.put("prompt_lengths", result.promptLengths());
        doc.put("forward_passes", result.forwardPasses());
        doc.put("steps", steps);
        doc.put("final_ids", result.sequences());
        return doc;
    }

    /** Writes the trace to {@code file} atomically. */
    public void write(Path file, SamplerConfig cfg, SampleResult result) throws IOException {
        AtomicFile.write(file, tmp -> JSON.writeValue(tmp.toFile(), document(cfg, result)));
    }
}
