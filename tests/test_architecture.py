"""The package's architecture, read from its source: imports point only downward
between the tiers, nothing imports in a cycle, no module reaches into another's
private names (docs/architecture.md)."""

import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "tf_transforms")
# Tiers, lowest first: a module may import its own tier's modules and lower
# tiers'. evaluation and export are siblings: neither imports the other.
TIERS = {"core": 0, "signal": 1, "model": 2, "data": 3, "training": 4, "evaluation": 5,
         "export": 5, "cli": 6}


def modules():
  """{dotted name: path} of every module of the package."""
  found = {}
  for directory, _, names in os.walk(PACKAGE):
    for name in names:
      if name.endswith(".py"):
        path = os.path.join(directory, name)
        dotted = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
        found[dotted[:-len(".__init__")] if dotted.endswith(".__init__") else dotted] = path
  return found


def imports(path, known):
  """(line, imported module, names) of every tf_transforms import in ``path``,
  at module level or inside functions; ``from pkg import module`` counts as
  importing that module."""
  found = []
  for node in ast.walk(ast.parse(open(path).read(), path)):
    if isinstance(node, ast.Import):
      found += [(node.lineno, a.name, []) for a in node.names
                if a.name.startswith("tf_transforms")]
    elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tf_transforms"):
      for alias in node.names:
        child = f"{node.module}.{alias.name}"
        found.append((node.lineno, child, []) if child in known
                     else (node.lineno, node.module, [alias.name]))
  return found


def tier(module):
  parts = module.split(".")
  return parts[1] if len(parts) > 1 else None


def test_imports_point_downward_between_tiers():
  known = modules()
  assert set(filter(None, map(tier, known))) == set(TIERS), sorted(known)
  upward = []
  for module, path in known.items():
    for line, target, _ in imports(path, known):
      own, other = tier(module), tier(target)
      if own is None or other is None or own == other:
        continue
      if TIERS[other] >= TIERS[own]:
        upward.append(f"{os.path.relpath(path, ROOT)}:{line} imports {target}")
  assert upward == [], "\n".join(upward)


def test_no_import_cycle_between_modules():
  known = modules()
  graph = {module: {target for _, target, _ in imports(path, known) if target in known
                    and target != module and not module.startswith(target + ".")}
           for module, path in known.items()}
  # (a package's __init__ importing its own modules is not a cycle through them)
  for module in graph:
    graph[module] = {t for t in graph[module] if not t.startswith(module + ".")}
  state, cycles = {}, []

  def visit(node, trail):
    state[node] = "open"
    for target in sorted(graph[node]):
      if state.get(target) == "open":
        cycles.append(" -> ".join(trail[trail.index(target):] + [target]))
      elif target not in state:
        visit(target, trail + [target])
    state[node] = "done"

  for module in sorted(graph):
    if module not in state:
      visit(module, [module])
  assert cycles == [], "\n".join(cycles)


def test_no_module_reaches_into_another_modules_private_names():
  known = modules()
  reached = []
  for module, path in known.items():
    tree = ast.parse(open(path).read(), path)
    local = {}  # local name -> imported module
    for line, target, names in imports(path, known):
      reached += [f"{os.path.relpath(path, ROOT)}:{line} imports {target}.{n}" for n in names
                  if n.startswith("_") and not n.startswith("__")]
    for node in ast.walk(tree):
      if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tf_transforms"):
        for alias in node.names:
          if f"{node.module}.{alias.name}" in known:
            local[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in ast.walk(tree):
      if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
          and node.value.id in local and node.attr.startswith("_")
          and not node.attr.startswith("__") and local[node.value.id] != module):
        reached.append(f"{os.path.relpath(path, ROOT)}:{node.lineno} uses "
                       f"{local[node.value.id]}.{node.attr}")
  assert reached == [], "\n".join(reached)


def test_nothing_in_the_library_imports_the_command_line_layer():
  known = modules()
  offenders = [f"{module} imports {target}" for module, path in known.items()
               if tier(module) != "cli"
               for _, target, _ in imports(path, known) if tier(target) == "cli"]
  assert offenders == []


def test_docs_architecture_has_a_line_for_every_module():
  """docs/architecture.md's module table names every module in its tier's row."""
  lines = open(os.path.join(ROOT, "docs", "architecture.md")).read().splitlines()
  rows = [line for line in lines if line.startswith("| `")]
  missing = []
  for module, path in modules().items():
    if path.endswith("__init__.py"):
      continue
    relative = os.path.relpath(path, PACKAGE)
    tier_name, name = relative.split(os.sep)[0], os.path.basename(relative)
    if not any(f"`{tier_name}/" in row.split("|")[1] and name in row.split("|")[1]
               for row in rows):
      missing.append(relative)
  assert missing == [], missing
