"""Models shared by the interop tests: every padding/size rule the converters must reproduce exactly."""
import numpy as np

import slimlayers as sl

L = sl.layers

# (id, layers given data_format, one channels_last sample shape)
CASES = [
    ("conv_same_s2_odd", lambda f: [L.Conv2D(4, 3, strides=2, padding="same", data_format=f)], (9, 7, 3)),
    ("conv_same_k4_s2", lambda f: [L.Conv2D(3, 4, strides=2, padding="same", data_format=f)], (8, 9, 2)),
    ("conv_same_k2_s3", lambda f: [L.Conv2D(3, 2, strides=3, padding="same", data_format=f)], (10, 11, 2)),
    ("conv_valid_dilated", lambda f: [L.Conv2D(4, 3, dilation_rate=2, data_format=f, activation="relu")], (9, 8, 2)),
    ("conv_same_dilated", lambda f: [L.Conv2D(4, 3, padding="same", dilation_rate=(2, 1), data_format=f)],
     (7, 6, 2)),
    ("conv_groups", lambda f: [L.Conv2D(6, 3, strides=2, padding="same", groups=3, data_format=f)], (7, 8, 6)),
    ("tconv_same", lambda f: [L.Conv2DTranspose(3, 3, strides=2, padding="same", data_format=f)], (4, 5, 2)),
    ("tconv_same_op0", lambda f: [L.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=0,
                                                    data_format=f)], (4, 5, 2)),
    ("tconv_same_op1", lambda f: [L.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1,
                                                    data_format=f)], (4, 5, 2)),
    ("tconv_valid", lambda f: [L.Conv2DTranspose(3, 3, strides=2, data_format=f, activation="sigmoid")], (4, 5, 2)),
    ("tconv_valid_op1", lambda f: [L.Conv2DTranspose(3, 3, strides=2, output_padding=1, data_format=f)], (4, 5, 2)),
    ("tconv_k1_s3", lambda f: [L.Conv2DTranspose(2, 1, strides=3, data_format=f)], (4, 3, 2)),
    ("tconv_k2_s3_same", lambda f: [L.Conv2DTranspose(2, 2, strides=3, padding="same", data_format=f)], (4, 3, 2)),
    ("tconv_k4_same_op0", lambda f: [L.Conv2DTranspose(2, 4, strides=2, padding="same", output_padding=0,
                                                       data_format=f)], (4, 5, 2)),
    ("tconv_k5_s3_same_op2", lambda f: [L.Conv2DTranspose(2, 5, strides=3, padding="same", output_padding=2,
                                                          data_format=f)], (4, 4, 2)),
    ("tconv_dilated_same", lambda f: [L.Conv2DTranspose(3, 3, padding="same", dilation_rate=2, data_format=f)],
     (5, 6, 2)),
    ("tconv_dilated_valid", lambda f: [L.Conv2DTranspose(3, 3, dilation_rate=2, data_format=f)], (5, 6, 2)),
    ("maxpool_same", lambda f: [L.MaxPooling2D(3, strides=2, padding="same", data_format=f)], (8, 7, 2)),
    ("avgpool_same", lambda f: [L.AveragePooling2D(3, strides=2, padding="same", data_format=f)], (8, 7, 2)),
    ("avgpool_same_k2_s1", lambda f: [L.AveragePooling2D(2, strides=1, padding="same", data_format=f)], (5, 4, 2)),
    ("pool_valid", lambda f: [L.MaxPooling2D(2, data_format=f), L.AveragePooling2D(2, 1, data_format=f)],
     (7, 9, 2)),
    ("batch_norm", lambda f: [L.BatchNormalization(axis=-1 if f == "channels_last" else 1, momentum=0.9,
                                                   epsilon=1e-2)], (4, 5, 3)),
    ("upsampling", lambda f: [L.UpSampling2D((2, 3), data_format=f),
                              L.UpSampling2D((2, 1), data_format=f, interpolation="bilinear")], (3, 4, 2)),
    ("pad_crop", lambda f: [L.ZeroPadding2D(((1, 0), (2, 1)), data_format=f),
                            L.Cropping2D(((0, 2), (1, 1)), data_format=f)], (4, 5, 2)),
    ("flatten_dense", lambda f: [L.Conv2D(3, 2, data_format=f), L.Flatten(data_format=f),
                                 L.Dense(4, activation="tanh"), L.Dropout(0.5), L.Dense(2, activation="softmax")],
     (4, 5, 2)),
    ("activations", lambda f: [L.Activation("elu"), L.LeakyReLU(0.1), L.Activation("selu"),
                               L.Activation("hard_sigmoid"), L.Activation("softplus")], (3, 4, 2)),
]
IDS = [case[0] for case in CASES]
FORMATS = ["channels_last", "channels_first"]


def build(case, data_format, seed=0):
    """``(model, x)``: a Sequential of the case's layers with random weights and BN statistics."""
    _, make, shape = case
    if data_format == "channels_first":
        shape = (shape[2], shape[0], shape[1])
    model = sl.models.Sequential([L.Input(shape), *make(data_format)])
    randomise(model, seed)
    x = np.random.default_rng(seed + 1).standard_normal((2, *shape)).astype("float32")
    return model, x


def randomise(model, seed=0):
    """Random weights everywhere, BN variances kept positive, so no weight is left at its default."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if type(layer) is L.BatchNormalization:
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(w.dtype) for w in weights])
        elif weights:
            layer.set_weights([rng.standard_normal(w.shape).astype(w.dtype) * 0.5 for w in weights])


def branching_model():
    """A functional model with a shared layer, Add and Concatenate, channels_last."""
    inp = L.Input((8, 7, 3))
    a = L.Conv2D(4, 3, strides=2, padding="same", activation="relu")(inp)
    shared = L.Conv2D(4, 1)
    b = shared(a)
    c = shared(L.Activation("tanh")(b))
    merged = L.Add()([a, b, c])
    cat = L.Concatenate()([merged, L.BatchNormalization()(a)])
    out = L.Dense(3)(L.Flatten()(L.Conv2DTranspose(2, 3, strides=2, padding="same")(cat)))
    model = sl.models.Model(inp, out)
    randomise(model, 3)
    return model, np.random.default_rng(4).standard_normal((2, 8, 7, 3)).astype("float32")


class Custom(L.Layer):
    """A user layer no converter knows."""

    def call(self, x):
        return x * 2


class Subclassed(sl.models.Model):
    def __init__(self):
        super().__init__()
        self.dense = L.Dense(2)

    def call(self, x, training=None):
        return self.dense(x)
