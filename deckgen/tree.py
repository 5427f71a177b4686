"""A light block tree over markdown-it's flat token list.

markdown-it-py's SyntaxTreeNode copies every token into a node and back (`to_tokens`) recursively,
which was a sixth of a large build. These nodes are views: each one knows the slice of the token
list it spans, so a node's tokens are one slice away. Only the part of SyntaxTreeNode's interface
that the parser uses is offered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from markdown_it.token import Token

_NO_CHILDREN: tuple[Node, ...] = ()
T = TypeVar("T")


class Node:
    """A block of the document: a container (list, item, blockquote…) or one token."""

    __slots__ = ("_tokens", "_start", "_end", "type", "children", "token", "nester_tokens", "_memo")

    type: str
    """The block's kind: a container's opening token without `_open`, a token's own type, or "root"."""
    children: Sequence[Node]
    token: Token | None
    """The one token of a leaf (an inline run's parts stay tokens: `node.token.children`)."""
    nester_tokens: tuple[Token, Token] | None
    """A container's opening and closing tokens."""

    def __init__(self, tokens: list[Token], start: int = 0, kind: str = "", token: Token | None = None,
                 children: Sequence[Node] = _NO_CHILDREN, taken: dict[int, Node] | None = None) -> None:
        """`Node(tokens)` builds the tree over `tokens` in one pass and is its root; the nodes below
        it are made as the pass reaches them (of `kind`, spanning tokens from `start`). `taken`:
        nodes made already, by the index of their first token, that the pass puts in place whole."""
        self._tokens = tokens
        self._start = self._end = start
        self.type = kind
        self.token = token
        self.nester_tokens = None
        self.children = children
        self._memo: dict | None = None
        if not kind:
            self._grow(taken)

    @classmethod
    def regrown(cls, last: Node, tokens: list[Token], spliced: tuple[int, int, int]) -> Node:
        """The tree over `tokens`, an edited file's, made from `last`, the tree over its last
        tokens, where those are the same (see reparse.Tokenised.spliced: tokens[a:b] are new,
        tokens[b:] are the last ones from c on): the blocks wholly above or below the new tokens
        are taken over, moved to their new places; `last` is not to be used after."""
        new_from, new_to, old_from = spliced
        moved = new_to - old_from
        taken: dict[int, Node] = {}

        def take(node: Node) -> None:
            for child in node.children:
                if child._end <= new_from or child._start >= old_from:
                    child._view(tokens, 0 if child._end <= new_from else moved)
                    taken[child._start] = child
                elif child.token is None:  # a container the new tokens are in: some of its blocks may not be
                    take(child)

        take(last)
        return cls(tokens, taken=taken)

    def _view(self, tokens: list[Token], moved: int) -> None:
        """Make this node and those below it views of `tokens`, their slices moved by `moved`."""
        stack = [self]
        while stack:
            node = stack.pop()
            node._tokens = tokens
            if moved:
                node._start += moved
                node._end += moved
            stack.extend(node.children)

    def _grow(self, taken: dict[int, Node] | None) -> None:
        tokens = self._tokens
        self._end = len(tokens)
        self.type = "root"
        self.children = []
        stack: list[Node] = [self]
        i, n = 0, len(tokens)
        while i < n:
            if taken and (node := taken.get(i)) is not None:
                stack[-1].children.append(node)
                i = node._end
                continue
            token = tokens[i]
            nesting = token.nesting
            if nesting == 1:
                node = Node(tokens, i, token.type.removesuffix("_open"), None, [])
                stack[-1].children.append(node)
                stack.append(node)
            elif nesting == -1:
                node = stack.pop()
                node._end = i + 1
                node.nester_tokens = (tokens[node._start], token)
            else:
                leaf = Node(tokens, i, token.type, token)
                leaf._end = i + 1
                stack[-1].children.append(leaf)
            i += 1

    def remembered(self, make: Callable[[Node], T]) -> T:
        """`make(self)`, made once for this node. `make` reads the node's tokens and nothing else,
        not even their lines (those of a node taken over into an edited file's tree move, see
        regrown): what it made holds for the node as long as the node does, across edits."""
        memo = self._memo
        if memo is None:
            memo = self._memo = {}
        elif make in memo:
            return memo[make]
        made = memo[make] = make(self)
        return made

    @property
    def _head(self) -> Token:
        return self.token if self.token is not None else self._tokens[self._start]

    @property
    def tag(self) -> str:
        return self._head.tag

    @property
    def map(self) -> list[int] | None:
        return self._head.map

    @property
    def content(self) -> str:
        return self._head.content

    def over(self, tokens: list[Token]) -> bool:
        """Whether this node is a view of `tokens` (not of a token list of its own)."""
        return self._tokens is tokens

    def to_tokens(self) -> list[Token]:
        """Return the tokens this node spans (a slice: no copies)."""
        return self._tokens[self._start : self._end]

    def __repr__(self) -> str:
        return f"Node({self.type})"
