"""A light block tree over markdown-it's flat token list.

markdown-it-py's SyntaxTreeNode copies every token into a node and back (`to_tokens`) recursively,
which was a sixth of a large build. These nodes are views: each one knows the slice of the token
list it spans, so a node's tokens are one slice away. Only the part of SyntaxTreeNode's interface
that the parser uses is offered.
"""

from __future__ import annotations

from markdown_it.token import Token


class Node:
    """A block of the document: a container (list, item, blockquote…) or one token."""

    __slots__ = ("_tokens", "_start", "_end", "children", "token", "nester_tokens")

    def __init__(self, tokens: list[Token], start: int = 0, end: int | None = None) -> None:
        self._tokens = tokens
        self._start = start
        self._end = len(tokens) if end is None else end
        self.token: Token | None = None
        self.nester_tokens: tuple[Token, Token] | None = None
        self.children: list[Node] = []
        if end is None:
            self._grow()

    def _grow(self) -> None:
        """Build the tree under the root in one pass over the tokens."""
        stack: list[Node] = [self]
        tokens = self._tokens
        for i in range(self._start, self._end):
            token = tokens[i]
            if token.nesting == 1:
                node = Node(tokens, i, i)
                stack[-1].children.append(node)
                stack.append(node)
            elif token.nesting == -1:
                node = stack.pop()
                node._end = i + 1
                node.nester_tokens = (tokens[node._start], token)
            else:
                leaf = Node(tokens, i, i + 1)
                leaf.token = token  # an inline run's parts stay tokens: `node.token.children`
                stack[-1].children.append(leaf)

    @property
    def _head(self) -> Token:
        return self.token if self.token is not None else self._tokens[self._start]

    @property
    def type(self) -> str:
        if self.token is not None:
            return self.token.type
        if self.nester_tokens is None:
            return "root"
        return self.nester_tokens[0].type.removesuffix("_open")

    @property
    def tag(self) -> str:
        return self._head.tag

    @property
    def map(self) -> list[int] | None:
        return self._head.map

    @property
    def content(self) -> str:
        return self._head.content

    def to_tokens(self) -> list[Token]:
        """Return the tokens this node spans (a slice: no copies)."""
        return self._tokens[self._start : self._end]

    def __repr__(self) -> str:
        return f"Node({self.type})"
