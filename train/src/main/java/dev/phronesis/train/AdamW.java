package dev.phronesis.train;

import dev.phronesis.train.hf.HostTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW as in PyTorch ({@code torch.optim.AdamW}): decoupled weight decay on matrices only, bias
 * correction, in-place updates. Its moments are part of a resumable checkpoint. Call on the training
 * thread with grad mode off.
 */
public final class AdamW implements AutoCloseable {
    private final Map<String, Parameter> params;
    private final NDManager manager = NDManager.newBaseManager();
    private final Map<String, NDArray> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    private final double beta1, beta2, eps, weightDecay;
    private long t; // updates done

    public AdamW(Map<String, Parameter> params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = params;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (var e : params.entrySet()) {
            NDArray p = e.getValue().getArray();
            m.put(e.getKey(), manager.zeros(p.getShape(), p.getDataType()));
            v.put(e.getKey(), manager.zeros(p.getShape(), p.getDataType()));
        }
    }

    public long updates() { return t; }

    /** Global L2 norm of all gradients; scales them down to {@code clip} when larger (clip 0 = never). Returns the norm before clipping. */
    public double clipGradients(double clip) {
        NDList squares = new NDList();
        NDList grads = new NDList();
        for (Parameter p : params.values()) {
            NDArray g = p.getArray().getGradient();
            grads.add(g);
            squares.add(g.square().sum());
        }
        double norm = Math.sqrt(NDArrays.stack(squares).sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble());
        if (clip > 0 && norm > clip) {
            float scale = (float) (clip / (norm + 1e-6));
            for (NDArray g : grads) g.muli(scale);
        }
        return norm;
    }

    /** One update with learning rate {@code lr}, then zeroes the gradients. */
    public void step(double lr) {
        t++;
        double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
        for (var e : params.entrySet()) {
            NDArray p = e.getValue().getArray();
            NDArray g = p.getGradient();
            NDArray mi = m.get(e.getKey()), vi = v.get(e.getKey());
            if (weightDecay > 0 && p.getShape().dimension() >= 2) p.muli(1 - lr * weightDecay);
            mi.muli(beta1).addi(g.mul(1 - beta1));
            vi.muli(beta2).addi(g.square().muli(1 - beta2));
            NDArray denom = vi.sqrt().divi(Math.sqrt(bc2)).addi(eps);
            p.subi(mi.div(denom).muli(lr / bc1));
            ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) p); // the next backward accumulates from 0
        }
    }

    public Map<String, HostTensor> state() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (String k : m.keySet()) {
            out.put("exp_avg." + k, new HostTensor(m.get(k).getShape().getShape(), m.get(k).toFloatArray()));
            out.put("exp_avg_sq." + k, new HostTensor(v.get(k).getShape().getShape(), v.get(k).toFloatArray()));
        }
        return out;
    }

    public void load(Map<String, HostTensor> state, long updates, String where) {
        for (String k : m.keySet()) {
            HostTensor a = state.get("exp_avg." + k), b = state.get("exp_avg_sq." + k);
            if (a == null || b == null) throw new dev.phronesis.core.UserError(where + ": optimizer state lacks " + k);
            m.get(k).set(a.data());
            v.get(k).set(b.data());
        }
        this.t = updates;
    }

    @Override public void close() { manager.close(); }
}
