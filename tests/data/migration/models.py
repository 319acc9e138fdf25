"""Slim models written once, run by real TF-Slim (make_fixtures.py) and by sl.slim (tests/test_migrate_*.py).

``build(slim, ops)`` returns ``{name: (model_fn, input_shape)}``. ``slim`` is
``tf_slim`` or ``sl.slim``; ``ops`` supplies what the two spell differently
(the array ops between layers, TF's initializers and variable scopes).
Every model is called with ``is_training=False``: migrate writes the
inference graph.
"""


def build(slim, ops):
    def vgg_block(images, is_training=False):
        # nested scopes, an override in the inner one and an explicit one at a call, repeat and stack
        with slim.arg_scope([slim.conv2d, slim.fully_connected], activation_fn=ops.relu,
                            weights_regularizer=slim.l2_regularizer(0.0005),
                            weights_initializer=ops.truncated_normal(0.01)):
            with slim.arg_scope([slim.conv2d], padding="SAME", weights_regularizer=slim.l2_regularizer(0.001)):
                net = slim.repeat(images, 2, slim.conv2d, 8, [3, 3], scope="conv1")
                net = slim.max_pool2d(net, [2, 2], scope="pool1")
                net = slim.stack(net, slim.conv2d, [(12, [3, 3]), (16, [1, 1])], scope="conv2")
                net = slim.conv2d(net, 16, [3, 3], stride=2, padding="VALID", scope="conv3")
                net = slim.avg_pool2d(net, [2, 2], stride=1, padding="SAME", scope="pool3")
                net = slim.flatten(net, scope="flatten")
                net = slim.fully_connected(net, 32, scope="fc4")
                net = slim.dropout(net, 0.5, is_training=is_training, scope="dropout4")
                return slim.fully_connected(net, 10, activation_fn=None,
                                            biases_regularizer=slim.l1_regularizer(0.01), scope="fc5")

    def dcgan_generator(z, is_training=False):
        # fully_connected -> reshape -> transposed-conv stack, batch_norm as the normalizer of every layer
        with slim.arg_scope([slim.conv2d_transpose, slim.fully_connected], normalizer_fn=slim.batch_norm,
                            normalizer_params={"is_training": is_training, "decay": 0.9, "epsilon": 1e-5,
                                               "scale": True},
                            weights_initializer=ops.truncated_normal(0.02)):
            net = slim.fully_connected(z, 4 * 4 * 16, scope="project")
            net = ops.reshape(net, [-1, 4, 4, 16])
            net = slim.conv2d_transpose(net, 8, [5, 5], stride=2, scope="deconv1")
            net = slim.conv2d_transpose(net, 4, [4, 4], stride=2, padding="VALID", scope="deconv2")
            return slim.conv2d_transpose(net, 3, [5, 5], stride=2, normalizer_fn=None, activation_fn=ops.tanh,
                                         scope="deconv3")

    def residual(images, is_training=False):
        # standalone batch_norm with an activation, residual adds, a projection shortcut
        with slim.arg_scope([slim.conv2d], weights_regularizer=slim.l2_regularizer(1e-3), activation_fn=None):
            with slim.arg_scope([slim.batch_norm], is_training=is_training, scale=True, activation_fn=ops.relu):
                net = slim.conv2d(images, 8, [3, 3], scope="stem")
                for i, depth in enumerate((8, 12)):
                    with ops.variable_scope(f"block{i + 1}"):
                        shortcut = net if i == 0 else slim.conv2d(net, depth, [1, 1], scope="shortcut")
                        net = slim.batch_norm(net, scope="bn1")
                        net = slim.conv2d(net, depth, [3, 3], scope="conv1")
                        net = slim.batch_norm(net, scope="bn2")
                        net = slim.conv2d(net, depth, [3, 3], scope="conv2")
                        net = net + shortcut
                return slim.conv2d(net, 4, [1, 1], stride=2, activation_fn=ops.relu, scope="head")

    def inception(images, is_training=False):
        # branches on one input with default scope names, a concat, a dilated conv, leaky_relu
        with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME"):
            net = slim.conv2d(images, 8, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3")
            b0 = slim.conv2d(net, 4, [1, 1])
            b1 = slim.conv2d(net, 4, [1, 1])
            b1 = slim.conv2d(b1, 6, [3, 3])
            b2 = slim.avg_pool2d(net, [3, 3])
            b2 = slim.conv2d(b2, 2, [1, 1], normalizer_fn=slim.batch_norm,
                             normalizer_params={"is_training": is_training})
            net = ops.concat([b0, b1, b2], 3)
            net = slim.conv2d(net, 6, [3, 3], rate=2, activation_fn=ops.leaky_relu, scope="dilated")
            return slim.max_pool2d(net, [3, 3], stride=2, padding="VALID")

    def regularized(x, is_training=False):
        # l1_l2, a batch_norm param regularizer, no biases, a frozen layer
        with slim.arg_scope([slim.fully_connected], weights_regularizer=slim.l1_l2_regularizer(0.01, 0.02),
                            biases_initializer=None):
            net = slim.fully_connected(x, 16, scope="fc1")
            net = slim.batch_norm(net, scale=True, is_training=is_training,
                                  param_regularizers={"gamma": slim.l2_regularizer(0.1)}, scope="bn")
            net = slim.fully_connected(net, 8, trainable=False, weights_regularizer=None, scope="frozen")
            return slim.fully_connected(net, 3, activation_fn=ops.sigmoid, biases_initializer=ops.zeros(),
                                        scope="out")

    return {
        "vgg_block": (vgg_block, (2, 16, 16, 3)),
        "dcgan_generator": (dcgan_generator, (2, 10)),
        "residual": (residual, (2, 8, 8, 3)),
        "inception": (inception, (2, 17, 17, 3)),
        "regularized": (regularized, (4, 12)),
    }
