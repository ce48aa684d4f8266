"""中文消息（与英文目录的键和 ``{字段}`` 一一对应）。

术语与中文教程一致：叶子节点、梯度、偏导数、方向导数、二阶偏导数、计算图、反向传播。
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------------- ndgrad.explain
    "explain.this_tensor": "这个张量",
    "explain.at": "（位置：{where}）",
    "explain.has_grad": "{name}已经有梯度：它的 .grad 已被填好（形状 {shape}）。",
    "explain.nan": "{name}的梯度中含有 {kind}。",
    "explain.nan_first": "第一个在前向计算中产生 {kind} 的运算是 '{op}'{site}。",
    "explain.nan_fix": (
        "提示：在 ndgrad.autograd.detect_anomaly() 下重新运行前向计算，再调用 explain："
        "异常检测模式会记录第一个在前向计算中产生 NaN 或 inf 的运算。"
    ),
    "explain.zero": (
        "{name}的梯度恰好为零。要么从{name}到输出根本没有路径（不连通），要么沿各条路径的"
        "导数在这些取值处都为零；传入 output= 即可区分这两种情况。"
    ),
    "explain.disconnected": (
        "{name}的梯度为零，是因为从{name}到输出没有任何路径（不连通）：这个零是填进去的，"
        "不是算出来的（autograd.grad(..., allow_unused=True, materialize_grads=True) "
        "就是这样做的）。"
    ),
    "explain.numerically_zero": (
        "{name}的梯度为零，但{name}确实在输出的计算图中：沿它各条路径的导数在这些取值处"
        "恰好为零（例如 relu 的输入小于 0、max 没有取到它、乘以 0）。"
    ),
    "explain.no_grad": (
        "{name}不需要梯度：它是在 no_grad() 下计算的{site}，那里什么都不记录，"
        "所以它与叶子节点之间的链条被切断了。"
    ),
    "explain.no_grad_fix": (
        "提示：把它移到 no_grad() 代码块之外计算（或放在 ndgrad.enable_grad() 里）。"
    ),
    "explain.detach": "{name}不需要梯度：它与叶子节点之间的链条被 detach() 切断了{site}。",
    "explain.detach_fix": "提示：在需要梯度流过的地方，直接使用张量本身，而不是它的 .detach()。",
    "explain.data": "{name}不需要梯度：它来自 .data{site}，也就是去掉了计算历史的数值。",
    "explain.data_fix": "提示：直接使用张量本身；.data 只用于那些不应被记录的更新。",
    "explain.python_data": (
        "{name}不需要梯度：它是由 ndgrad.tensor(...) 从 Python 或 NumPy 数据创建的{site}，"
        "不带任何计算历史（经 .item()、.tolist() 或 .numpy() 绕道一圈就会丢失历史）。"
    ),
    "explain.python_data_fix": (
        "提示：直接用张量本身计算，而不是用它的数值；如果它是新的叶子节点，"
        "创建时传入 requires_grad=True。"
    ),
    "explain.debug_hint": "调用 ndgrad.set_debug(True) 后，会记录这类切断发生的文件和行号。",
    "explain.integer_cast": (
        "{name}不需要梯度：它被转换成了整数类型 {dtype}{site}，而整数张量不能要求梯度。"
    ),
    "explain.integer": "{name}的类型是整数类型 {dtype}：整数张量不能要求梯度。",
    "explain.integer_fix": (
        "提示：在通往损失的路径上保持浮点类型（.float()、.double()）；只在不需要梯度的地方"
        "取整或做索引。"
    ),
    "explain.cut": "{name}不需要梯度：它与叶子节点之间的链条被切断了：{what}{site}。",
    "explain.requires_grad_not_set": "{name}是一个不需要梯度的叶子节点：从未设置过 requires_grad。",
    "explain.python_round_trip": (
        "如果它的数值是通过 .item()、.tolist() 或 .numpy() 从另一个张量取出、再用 "
        "ndgrad.tensor(...) 创建的，那么这些数值绕道 Python，丢失了计算历史：请直接用原来的"
        "张量计算。"
    ),
    "explain.requires_grad_fix": (
        "提示：创建时传入 requires_grad=True，或在使用前调用 {var}.requires_grad_()。"
    ),
    "explain.non_leaf": (
        "{name}不是叶子节点：它由 {op}{site} 计算得到，而 backward() 只填充叶子节点的 .grad。"
    ),
    "explain.leaf": "一个形状为 {shape}、类型为 {dtype} 的叶子节点",
    "explain.more_leaves": "另外 {count} 个",
    "explain.leaves_get_it": "梯度会流向计算它所用的 {count} 个叶子节点：{leaves}。",
    "explain.non_leaf_cast": (
        "类型转换或设备迁移（.double()、.float()、.to(...)）本身也是一个运算：请直接用该类型"
        "并加上 requires_grad=True 创建张量，或者读取叶子节点的 .grad。"
    ),
    "explain.non_leaf_update": (
        "执行 x = x - lr * x.grad 这样的更新之后，名字 x 指向的是一个计算出来的张量，"
        "而不再是叶子节点：请更新 x.data，或在 ndgrad.no_grad() 下原地更新 x。"
    ),
    "explain.retain_grad_fix": (
        "提示：在 backward() 之前调用 {var}.retain_grad()，即可保留它的梯度。"
    ),
    "explain.retain_grad_not_reached": (
        "{name}会保留梯度（已调用 retain_grad()），但还没有哪次反向传播到达它："
        "请对由它计算出的输出调用 backward()。"
    ),
    "explain.not_reached": (
        "{name}是需要梯度的叶子节点，但没有梯度到达它：它不在你调用 backward() 的那个输出的"
        "计算图中，或者还没有调用 backward()（也可能它的 .grad 被重置成了 None，"
        "zero_grad() 就会这样做）。"
    ),
    "explain.not_reached_fix": "提示：explain(t, output=loss) 可以检查输出是否依赖于它。",
    "explain.not_in_graph": (
        "{name}不在输出的计算图中：由它计算出的任何结果都没有到达输出，"
        "所以 backward() 不会给它任何梯度。"
    ),
    "explain.not_in_graph_fix": (
        "autograd.grad 对它返回 None（需 allow_unused=True），或在 materialize_grads=True 时"
        "返回零：这个零表示没有路径，而不是算出来的导数。"
    ),
    "explain.backward_not_called": (
        "{name}在输出的计算图中，但它的 .grad 仍是 None：请对那个输出调用 backward()"
        "（zero_grad() 会把 .grad 重置为 None）。"
    ),
    # ---------------------------------------------------------------------- ndgrad demo
    "demo.title": "ndgrad {version} 演示：反向模式自动微分，一步一步来。",
    "demo.intro": (
        "每一步先运行 >>> 后面的代码，再列出它涉及的张量的五个自动微分属性（data、grad、"
        "requires_grad、grad_fn、is_leaf），最后在 -> 之后说明发生了什么。"
    ),
    "demo.step": "第 {number}/{total} 步：{title}",
    "demo.not_a_leaf": "   （不是叶子节点：反向传播不会填充它）",
    "demo.label.graph": "计算图",
    "demo.s1.title": "叶子节点",
    "demo.s1.why": (
        "x 是你自己创建的，不是由任何运算计算出来的，所以它是叶子节点（grad_fn 为 None，"
        "is_leaf 为 True）。requires_grad=True 让 ndgrad 记录所有用到 x 的运算；在反向传播"
        "填充它之前，x.grad 一直是 None。"
    ),
    "demo.s2.title": "运算会在计算图中记录一个节点",
    "demo.s2.why1": (
        "y 是由 x 计算出来的，所以它不是叶子节点：它从 x 继承了 requires_grad，它的 grad_fn "
        "是最后一个运算（3 * ...）的节点，沿着 next_functions 经过 PowBackward0 回到 x"
        "（见“计算图”一行）。"
    ),
    "demo.s2.why2": (
        "反向传播只填充叶子节点的 .grad，所以 y.grad 仍是 None（读取它会发出警告）；如果想"
        "保留它，请在反向传播之前调用 y.retain_grad()。"
    ),
    "demo.s3.title": "带权重的反向传播：每个分量一个权重",
    "demo.s3.why1": (
        "y 有 3 个分量，所以反向传播需要为每个分量给一个权重 v：y.backward(v) 计算向量-雅可比"
        "积 v^T J，其中 J = dy/dx = diag(6x)，并把结果累加到 x.grad 中。"
    ),
    "demo.s3.why2": (
        "取 v = ones 时，v^T J 把 J 的各行相加：这正是 y.sum() 的梯度 6x = [6, 12, 18]。"
        "取 v = [1, 0, 0] 则只得到 y[0] 的梯度；只有一个元素的输出不需要 v。"
    ),
    "demo.s4.title": "可以再次求导的一阶偏导数",
    "demo.s4.why1": (
        "在下面的公式中，x 和 y 分别代表 x[0] = 1 和 x[1] = 2：这里 f(x, y) = x^2 y + sin y "
        "= 2 + sin(2)；x[2] 不参与计算。"
    ),
    "demo.s4.why2": (
        "autograd.grad 直接返回各个偏导数 [f_x, f_y, 0] = [2xy, x^2 + cos y, 0]，而不是把它"
        "累加到 x.grad 中（x.grad 仍是 {grad}）；create_graph=True 把反向传播本身也记录进了"
        "计算图，所以 gx 有 grad_fn，可以再次求导。"
    ),
    "demo.s5.title": "二阶偏导数：f 在 (x, y) = (1, 2) 处的四个二阶偏导数",
    "demo.s5.col.partial": "偏导数",
    "demo.s5.col.autograd": "自动微分",
    "demo.s5.col.analytic": "解析式",
    "demo.s5.why1": (
        "对一个一阶偏导数再求导，得到黑塞矩阵的一行。没有 create_graph 时，这些行是普通张量"
        "（没有 grad_fn）；retain_graph=True 为第二次调用保留了 gx 的计算图，因为一次反向传播"
        "会释放它保存的中间值。"
    ),
    "demo.s5.why2": (
        "f_xy == f_yx：{same}。二阶连续可微函数的混合二阶偏导数相等（施瓦茨定理）："
        "黑塞矩阵 {hessian} 是对称的。"
    ),
    "demo.s6.title": "把导数当作函数：ndgrad.func",
    "demo.s6.why1": (
        "grad(F) 本身也是一个函数，即 F 的梯度。在 (1, 2) 处它返回由偏导数组成的向量 "
        "[f_x, f_y] = [2xy, x^2 + cos y]：也就是第 4 步中 gx 的前两个分量。"
    ),
    "demo.s6.why2": (
        "方向导数 D_u f = grad f . u = 4 * 0.6 + 0.5839 * 0.8 表示 f 沿单位向量 u 每走一个单位"
        "长度变化多快。前向模式用一次雅可比-向量积算出它，而不需要先求梯度。两者相等：{same}。"
    ),
    "demo.s6.col.entry": "元素",
    "demo.s6.col.hessian": "hessian",
    "demo.s6.col.step5": "第 5 步",
    "demo.s6.why3": (
        "hessian(F) 是梯度的雅可比矩阵（反向模式之上再做前向模式）。它与第 5 步中两次反向传播"
        "得到的四个二阶偏导数相等：{same}。更多内容见 docs/derivatives.md。"
    ),
    "demo.s7.title": "梯度下降的陷阱：x = x - 0.1 * x.grad",
    "demo.s7.intro": (
        "从 x = [1, 2, 3] 出发，以学习率 0.1 最小化 loss = sum((x - 5)^2)；最小值在 x = 5 处。"
    ),
    "demo.s7.why1": (
        "这次更新本身就是对一个需要梯度的张量做的运算，所以它被记录了下来：名字 x 现在指向一个"
        "新的、计算出来的张量（grad_fn 为 SubBackward0），而不再是叶子节点。"
    ),
    "demo.s7.why2": (
        "反向传播经过 SubBackward0 到达原来的叶子节点，并填充了那个叶子节点的 .grad；但名字 x "
        "已经不再指向它，而非叶子节点的 .grad 从不会被填充：x.grad 是 None（读取它会发出警告），"
        "所以第二次更新失败了。"
    ),
    "demo.s7.explain": "ndgrad.explain(x) 说明了 x.grad 为什么是 None：",
    "demo.s8.title": "修正 1：更新数据，而不是计算图",
    "demo.s8.why1": (
        "x.data 是去掉计算历史的数值，给它赋值不会记录任何运算：x 始终是同一个叶子节点，每次"
        "迭代 x.grad 都会被重新填充，x 收敛到 5（每一步都把 x - 5 乘以 0.8）。"
    ),
    "demo.s8.why2": (
        "先写 x.grad = None，是因为反向传播会把梯度累加到 .grad 中：不清空的话，之前所有迭代的"
        "梯度会越积越多。"
    ),
    "demo.s9.title": "修正 2：在 no_grad 下原地更新",
    "demo.s9.why1": (
        "在 no_grad 之外，对需要梯度的叶子节点做原地更新会被拒绝：这次更新会被记录下来，"
        "叶子节点也就不再是叶子节点了。"
    ),
    "demo.s9.why2": (
        "在 no_grad 之内什么都不记录，所以更新只是原地改变 x 的数值，x 仍是叶子节点：它同样"
        "收敛到 5。优化器（例如 torch.optim.SGD）就是这样更新参数的。"
    ),
    "demo.summary.title": "小结",
    "demo.summary.why1": (
        "需要梯度的叶子节点收集 .grad；对它们的每个运算都会在计算图中记录一个 grad_fn 节点；"
        "backward(v) 把 v^T J 累加到叶子节点的 .grad 中；autograd.grad(..., create_graph=True) "
        "返回可以再次求导的导数；ndgrad.func 把 f 的梯度和黑塞矩阵作为函数给出，并用一次 jvp "
        "算出方向导数；更新参数请通过 .data 或在 no_grad 下进行。"
    ),
    "demo.summary.why2": (
        "下一步：阅读 ndgrad 源码树中的 docs/tutorial.md 和 docs/derivatives.md，"
        "以及 'ndgrad --help'。"
    ),
    # ---------------------------------------------------------------------- ndgrad demo optimize
    "optimize.heading": "{problem}：f(x, y) = {formula}，起点 {start}",
    "optimize.col.optimiser": "优化器",
    "optimize.col.iterations": "迭代次数",
    "optimize.col.point": "终点",
    "optimize.col.value": "f",
    "optimize.opt.gradient descent": "梯度下降",
    "optimize.opt.momentum": "动量法",
    "optimize.opt.Adam": "Adam",
    "optimize.opt.L-BFGS": "L-BFGS",
    "optimize.note": (
        "收敛：梯度的范数小于 {tol}；'>' 表示用完了迭代预算。L-BFGS 的一次迭代是一次 "
        "optimizer.step(closure)（最多 20 个带线搜索的内部步骤），所以它的次数不能与其他"
        "优化器一一比较。"
    ),
    "optimize.wrote": "已写入 {plot}：每个函数的等高线和每个优化器的路径。",
    # plot text stays English in every catalogue: matplotlib's default font has no CJK glyphs
    "optimize.plot.start": "start",
    # ---------------------------------------------------------------------- ndgrad demo train
    "train.intro": (
        "双螺旋：两类共 1000 个点，多层感知机 2-64-64-2（tanh），交叉熵损失，Adam"
        "（学习率 0.01），每个小批量 100 个点。"
    ),
    "train.reached": "达到了",
    "train.not_reached": "没有达到",
    "train.epochs": "训练轮数：{epochs}（{reached} {target} 的训练准确率）",
    "train.loss": "损失：{loss}",
    "train.train_accuracy": "训练准确率：{accuracy}",
    "train.test_accuracy": "在 1000 个新点上的准确率：{accuracy}",
    "train.wrote": "已写入 {plot}：训练点上的决策边界。",
    "train.progress": "训练中",
    # plot text stays English in every catalogue: matplotlib's default font has no CJK glyphs
    "train.plot.class": "class {label}",
    "train.plot.title": "two spirals: the MLP's decision boundary (p = 0.5)",
}
