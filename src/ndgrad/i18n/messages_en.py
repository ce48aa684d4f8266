"""English messages, by key (the Chinese catalogue has the same keys and ``{fields}``)."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------------- ndgrad.explain
    "explain.this_tensor": "this tensor",
    "explain.at": " at {where}",
    "explain.has_grad": "{name} has a gradient: its .grad is set (shape {shape}).",
    "explain.nan": "The gradient of {name} holds {kind}.",
    "explain.nan_first": "The first op whose forward produced {kind} was '{op}'{site}.",
    "explain.nan_fix": (
        "hint: run the forward pass under ndgrad.autograd.detect_anomaly() and call explain "
        "again: anomaly mode records the first op whose forward produced NaN or inf."
    ),
    "explain.zero": (
        "The gradient of {name} is exactly zero. Either no path leads from {name} to the output "
        "(disconnected), or the derivatives along the paths are zero at these values; pass "
        "output= to tell which."
    ),
    "explain.disconnected": (
        "The gradient of {name} is zero because no path leads from {name} to the output "
        "(disconnected): the zero was filled in, not computed (as autograd.grad(..., "
        "allow_unused=True, materialize_grads=True) does)."
    ),
    "explain.numerically_zero": (
        "The gradient of {name} is zero, but {name} is in the output's computation graph: the "
        "derivatives along its paths are zero at these values (relu below 0, a max not taken, "
        "a multiplication by 0)."
    ),
    "explain.no_grad": (
        "{name} does not require grad: it was computed under no_grad(){site}, which records "
        "nothing, so the chain from the leaves was cut."
    ),
    "explain.no_grad_fix": (
        "hint: compute it outside the no_grad() block (or inside ndgrad.enable_grad())."
    ),
    "explain.detach": (
        "{name} does not require grad: the chain from the leaves was cut by detach(){site}."
    ),
    "explain.detach_fix": (
        "hint: use the tensor itself rather than its .detach() where a gradient should flow."
    ),
    "explain.data": (
        "{name} does not require grad: it comes from .data{site}, the values without their history."
    ),
    "explain.data_fix": (
        "hint: use the tensor itself; .data is for updates that must not be recorded."
    ),
    "explain.python_data": (
        "{name} does not require grad: it was made by ndgrad.tensor(...) from Python or NumPy "
        "data{site}, which carries no history (a round trip through .item(), .tolist() or "
        ".numpy() loses it)."
    ),
    "explain.python_data_fix": (
        "hint: compute with the tensor itself rather than with its values, or create a new leaf "
        "with requires_grad=True."
    ),
    "explain.debug_hint": "ndgrad.set_debug(True) records the file and line of such cuts.",
    "explain.integer_cast": (
        "{name} does not require grad: it was cast to the integer dtype {dtype}{site}, and "
        "integer tensors cannot require grad."
    ),
    "explain.integer": (
        "{name} has the integer dtype {dtype}: integer tensors cannot require grad."
    ),
    "explain.integer_fix": (
        "hint: keep a floating dtype (.float(), .double()) on the path to the loss; round or "
        "index only where no gradient is needed."
    ),
    "explain.cut": "{name} does not require grad: the chain from the leaves was cut: {what}{site}.",
    "explain.requires_grad_not_set": (
        "{name} is a leaf that does not require grad: requires_grad was never set."
    ),
    "explain.python_round_trip": (
        "If its values came from another tensor through .item(), .tolist() or .numpy() and then "
        "ndgrad.tensor(...), they went through Python and lost their history: compute with the "
        "tensor itself instead."
    ),
    "explain.requires_grad_fix": (
        "hint: create it with requires_grad=True, or call {var}.requires_grad_() before using it."
    ),
    "explain.non_leaf": (
        "{name} is not a leaf: {op}{site} computed it, and backward() fills .grad only on leaf "
        "nodes."
    ),
    "explain.leaf": "a leaf of shape {shape}, dtype {dtype}",
    "explain.more_leaves": "{count} more",
    "explain.leaves_get_it": (
        "The gradient goes to the leaf nodes it was computed from ({count}): {leaves}."
    ),
    "explain.non_leaf_cast": (
        "A cast or a move (.double(), .float(), .to(...)) is an op too: create the tensor with "
        "that dtype and requires_grad=True, or read the leaf's .grad."
    ),
    "explain.non_leaf_update": (
        "After an update like x = x - lr * x.grad the name x points to a computed tensor, not "
        "to the leaf: update x.data, or x in place under ndgrad.no_grad()."
    ),
    "explain.retain_grad_fix": (
        "hint: call {var}.retain_grad() before backward() to keep its gradient."
    ),
    "explain.retain_grad_not_reached": (
        "{name} retains its gradient (retain_grad() was called), but no backward pass has "
        "reached it yet: call backward() on an output computed from it."
    ),
    "explain.not_reached": (
        "{name} is a leaf that requires grad, but no gradient reached it: it is not in the "
        "graph of the output you called backward() on, or backward() was not called yet (or "
        "its .grad was reset to None, as zero_grad() does)."
    ),
    "explain.not_reached_fix": (
        "hint: explain(t, output=loss) checks whether the output depends on it."
    ),
    "explain.not_in_graph": (
        "{name} is not in the computation graph of the output: nothing computed from it "
        "reaches the output, so backward() sends it no gradient."
    ),
    "explain.not_in_graph_fix": (
        "autograd.grad returns None for it (with allow_unused=True), or zeros with "
        "materialize_grads=True: a zero that means no path, not a computed derivative."
    ),
    "explain.backward_not_called": (
        "{name} is in the output's computation graph, but its .grad is still None: call "
        "backward() on that output (zero_grad() resets .grad to None)."
    ),
    # ---------------------------------------------------------------------- ndgrad demo
    "demo.title": (
        "ndgrad {version} demo: reverse-mode automatic differentiation, one step at a time."
    ),
    "demo.intro": (
        "Each step runs the code after >>>, shows the five autograd attributes of the tensors "
        "it touches (data, grad, requires_grad, grad_fn, is_leaf) and says, after ->, what "
        "happened."
    ),
    "demo.step": "Step {number}/{total}. {title}",
    "demo.not_a_leaf": "   (not a leaf: backward leaves it None)",
    "demo.label.graph": "graph",
    "demo.s1.title": "A leaf tensor",
    "demo.s1.why": (
        "You created x yourself; no op computed it, so it is a leaf (grad_fn None, is_leaf "
        "True). requires_grad=True asks ndgrad to record every op that uses x; x.grad stays "
        "None until a backward pass fills it."
    ),
    "demo.s2.title": "An op records a node",
    "demo.s2.why1": (
        "y was computed from x, so it is not a leaf: it inherits requires_grad from x, and its "
        "grad_fn is the node of the last op (3 * ...), whose next_functions lead back through "
        "PowBackward0 to x (the graph line)."
    ),
    "demo.s2.why2": (
        "Backward fills .grad only on leaves, so y.grad stays None (reading it warns); call "
        "y.retain_grad() before backward if you want it kept."
    ),
    "demo.s3.title": "Backward with a weight per component",
    "demo.s3.why1": (
        "y has 3 components, so backward needs a weight v for each: y.backward(v) computes the "
        "vector-Jacobian product v^T J, with J = dy/dx = diag(6x), and adds it into x.grad."
    ),
    "demo.s3.why2": (
        "With v = ones, v^T J sums the rows of J: it is the gradient of y.sum(), 6x = "
        "[6, 12, 18]. v = [1, 0, 0] would give the gradient of y[0] alone; a one-element "
        "output needs no v."
    ),
    "demo.s4.title": "First derivatives you can differentiate again",
    "demo.s4.why1": (
        "In the formulas below, x and y stand for x[0] = 1 and x[1] = 2: f(x, y) = x^2 y + "
        "sin y = 2 + sin(2) here; x[2] plays no part."
    ),
    "demo.s4.why2": (
        "autograd.grad returns [f_x, f_y, 0] = [2xy, x^2 + cos y, 0] instead of adding it into "
        "x.grad (still {grad}); create_graph=True recorded the backward pass too, so gx has a "
        "grad_fn and can be differentiated again."
    ),
    "demo.s5.title": "Second derivatives: the four partials of f at (x, y) = (1, 2)",
    "demo.s5.col.partial": "partial",
    "demo.s5.col.autograd": "autograd",
    "demo.s5.col.analytic": "analytic",
    "demo.s5.why1": (
        "Differentiating one first derivative gives one row of the Hessian. Without "
        "create_graph the rows are plain tensors (no grad_fn); retain_graph=True kept gx's "
        "graph for the second call, since a backward pass frees what it saved."
    ),
    "demo.s5.why2": (
        "f_xy == f_yx: {same}. The mixed partials of a twice continuously differentiable "
        "function are equal (Schwarz's theorem): the Hessian {hessian} is symmetric."
    ),
    "demo.s6.title": "Derivatives as functions: ndgrad.func",
    "demo.s6.why1": (
        "grad(F) is a function too, the gradient of F. At (1, 2) it returns the vector of the "
        "partials, [f_x, f_y] = [2xy, x^2 + cos y]: the first two entries of step 4's gx."
    ),
    "demo.s6.why2": (
        "The directional derivative D_u f = grad f . u = 4 * 0.6 + 0.5839 * 0.8 is how fast f "
        "changes per unit step along the unit vector u. Forward mode computes it as one "
        "Jacobian-vector product, without the gradient. Equal: {same}."
    ),
    "demo.s6.col.entry": "entry",
    "demo.s6.col.hessian": "hessian",
    "demo.s6.col.step5": "step 5",
    "demo.s6.why3": (
        "hessian(F) is the Jacobian of the gradient (forward mode over reverse). Equal to the "
        "four partials that double backward gave in step 5: {same}. More: docs/derivatives.md."
    ),
    "demo.s7.title": "Gradient descent, the pitfall: x = x - 0.1 * x.grad",
    "demo.s7.intro": (
        "Minimise loss = sum((x - 5)^2) from x = [1, 2, 3] with learning rate 0.1; the minimum "
        "is at x = 5."
    ),
    "demo.s7.why1": (
        "The update is itself an op on a tensor that requires grad, so it was recorded: the "
        "name x now points to a new, computed tensor (grad_fn SubBackward0), not to the leaf."
    ),
    "demo.s7.why2": (
        "Backward ran through SubBackward0 to the original leaf and filled that leaf's .grad, "
        "but the name x no longer refers to it, and a non-leaf's .grad is never filled: x.grad "
        "is None (reading it warns), so the second update fails."
    ),
    "demo.s7.explain": "ndgrad.explain(x) says why x.grad is None:",
    "demo.s8.title": "Fix 1: update the data, not the graph",
    "demo.s8.why1": (
        "x.data is the values without their history, so assigning to it records nothing: x "
        "stays the same leaf, x.grad is filled again in every iteration, and x converges to 5 "
        "(each step multiplies x - 5 by 0.8)."
    ),
    "demo.s8.why2": (
        "x.grad = None comes first because backward adds into .grad: without it the gradients "
        "of all earlier iterations would pile up."
    ),
    "demo.s9.title": "Fix 2: update in place under no_grad",
    "demo.s9.why1": (
        "Outside no_grad an in-place update of a leaf that requires grad is refused: it would "
        "be recorded, and the leaf would stop being a leaf."
    ),
    "demo.s9.why2": (
        "Inside no_grad nothing is recorded, so the update changes x's values in place and x "
        "stays a leaf: it converges to 5 as well. Optimizers (torch.optim.SGD, for one) update "
        "parameters this way."
    ),
    "demo.summary.title": "In short",
    "demo.summary.why1": (
        "Leaves that require grad collect .grad; every op on them records a grad_fn node; "
        "backward(v) adds v^T J into the leaves' .grad; autograd.grad(..., create_graph=True) "
        "returns derivatives you can differentiate again; ndgrad.func gives f's gradient and "
        "Hessian as functions, and a directional derivative as one jvp; update parameters "
        "through .data or under no_grad."
    ),
    "demo.summary.why2": (
        "Next: docs/tutorial.md and docs/derivatives.md in the ndgrad source tree, and "
        "'ndgrad --help'."
    ),
    # ---------------------------------------------------------------------- ndgrad demo optimize
    "optimize.heading": "{problem}: f(x, y) = {formula}, from {start}",
    "optimize.col.optimiser": "optimiser",
    "optimize.col.iterations": "iterations",
    "optimize.col.point": "final point",
    "optimize.col.value": "f",
    "optimize.opt.gradient descent": "gradient descent",
    "optimize.opt.momentum": "momentum",
    "optimize.opt.Adam": "Adam",
    "optimize.opt.L-BFGS": "L-BFGS",
    "optimize.note": (
        "Converged: the gradient's norm is below {tol}; '>' marks a budget used up. An L-BFGS "
        "iteration is one optimizer.step(closure) (up to 20 inner steps with a line search), so "
        "its count is not comparable one to one."
    ),
    "optimize.wrote": "Wrote {plot}: each function's contours and every optimiser's path.",
    # plot text stays English in every catalogue: matplotlib's default font has no CJK glyphs
    "optimize.plot.start": "start",
    # ---------------------------------------------------------------------- ndgrad demo train
    "train.intro": (
        "Two spirals: 1000 points of two classes, an MLP 2-64-64-2 (tanh), cross-entropy, Adam "
        "(lr 0.01), mini-batches of 100."
    ),
    "train.reached": "reached",
    "train.not_reached": "did not reach",
    "train.epochs": "epochs: {epochs} ({reached} {target} training accuracy)",
    "train.loss": "loss: {loss}",
    "train.train_accuracy": "training accuracy: {accuracy}",
    "train.test_accuracy": "accuracy on 1000 new points: {accuracy}",
    "train.wrote": "Wrote {plot}: the decision boundary over the training points.",
    "train.progress": "training",
    # plot text stays English in every catalogue: matplotlib's default font has no CJK glyphs
    "train.plot.class": "class {label}",
    "train.plot.title": "two spirals: the MLP's decision boundary (p = 0.5)",
}
