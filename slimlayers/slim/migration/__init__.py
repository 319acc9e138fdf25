"""The machinery behind ``sl.slim.migrate``: trace, join, convert, write.

* ``trace`` runs the Slim model function once on symbolic inputs, in a fresh
  variable store, recording every Slim call and every tensor it creates;
* ``graph`` joins each Slim call to the layers it built and walks the graph;
* ``rules`` says, per Slim function, which Keras argument comes from which
  Slim argument, and ``origins`` where each of those came from;
* ``specs`` builds the migrated model as data (``migrated``): every layer,
  every argument, its value and origin, refusing what Keras cannot express;
* ``values`` writes values as Keras or slimlayers source, ``source`` writes
  the module, ``order`` reproduces Keras' layer order (graph depth).
"""
