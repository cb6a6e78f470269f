"""The relevance evaluation set written for this project: products, queries, graded judgements."""
