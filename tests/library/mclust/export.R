# Export R mclust's results for tests/library/test_mclust.py (black-box comparison).
# Usage: Rscript export.R OUTDIR
# Writes, for each data set (faithful, iris's 4 numeric columns, and a
# synthetic 5-feature mixture): the data, mclust's default hierarchical
# partitions for G = 1..9 (quantile classes for one feature), me() from the G = 3 partition for every model,
# and the mclustBIC / mclustICL tables with the chosen model.
suppressPackageStartupMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
dir.create(out, showWarnings = FALSE, recursive = TRUE)

g17 <- function(x) sprintf("%.17g", x)
write_matrix <- function(m, path) {
  m <- as.matrix(m)
  txt <- matrix(g17(m), nrow = nrow(m))
  txt[is.na(m)] <- "NA"
  colnames(txt) <- colnames(m)
  write.table(txt, path, sep = ",", quote = FALSE, row.names = FALSE,
              col.names = if (is.null(colnames(m))) FALSE else TRUE)
}

set.seed(20161)
synth <- local({
  d <- 5; n <- c(120, 90, 70, 60)
  parts <- lapply(seq_along(n), function(k) {
    A <- matrix(rnorm(d * d), d) / sqrt(k)
    mu <- rnorm(d, sd = 1.5)
    sweep(matrix(rnorm(n[k] * d), n[k]) %*% A, 2, mu, "+")
  })
  X <- do.call(rbind, parts)
  colnames(X) <- paste0("x", 1:d)
  X
})
sets <- list(faithful = as.matrix(faithful), iris = as.matrix(iris[, 1:4]),
             synth = synth,
             waiting = matrix(faithful$waiting, dimnames = list(NULL, "waiting")))

info <- c(version = as.character(packageVersion("mclust")),
          eps = g17(emControl()$eps), tol1 = g17(emControl()$tol[1]),
          tol2 = g17(emControl()$tol[2]), itmax1 = emControl()$itmax[1],
          itmax2 = emControl()$itmax[2],
          hcModelName = mclust.options("hcModelName"),
          hcUse = mclust.options("hcUse"))
writeLines(paste(names(info), info, sep = "="), file.path(out, "info.txt"))

for (name in names(sets)) {
  X <- sets[[name]]
  n <- nrow(X); d <- ncol(X)
  models <- if (d == 1) c("E", "V") else mclust.options("emModelNames")
  write_matrix(X, file.path(out, paste0(name, "_X.csv")))
  if (d == 1) {  # mclustBIC starts univariate EM from quantile classes
    cls <- sapply(1:9, function(G) mclust:::qclass(X[, 1], G))
    colnames(cls) <- 1:9
  } else {
    hcp <- hc(X, modelName = "VVV", use = "SVD")
    write_matrix(t(hcp), file.path(out, paste0(name, "_hcmerge.csv")))
    write_matrix(attr(hcp, "data"), file.path(out, paste0(name, "_hcdata.csv")))
    cls <- hclass(hcp, 1:9)
  }
  write_matrix(cls, file.path(out, paste0(name, "_hc.csv")))
  z <- unmap(cls[, "3"])
  rows <- list()
  for (m in models) {
    fit <- me(X, modelName = m, z = z)
    p <- fit$parameters
    it <- attr(fit, "info")
    vals <- c(loglik = fit$loglik, iterations = unname(it[1]), error = unname(it[2]),
              npar = nMclustParams(m, d, 3))
    rows[[length(rows) + 1]] <- data.frame(model = m, what = names(vals),
                                           i = 0, value = g17(vals))
    if (!is.na(fit$loglik)) {
      if (d == 1) {
        sg <- array(rep_len(p$variance$sigmasq, 3), c(3, 1, 1))
      } else {
        sg <- aperm(p$variance$sigma, c(3, 1, 2))  # written as sigma[k, i, j]
      }
      for (w in list(list("pro", p$pro), list("mean", t(p$mean)),
                     list("sigma", sg))) {
        v <- as.vector(aperm(array(w[[2]], dim = dim(as.array(w[[2]]))),
                             rev(seq_along(dim(as.array(w[[2]]))))))
        rows[[length(rows) + 1]] <- data.frame(model = m, what = w[[1]],
                                               i = seq_along(v) - 1,
                                               value = g17(v))
      }
    }
  }
  write.csv(do.call(rbind, rows), file.path(out, paste0(name, "_me.csv")),
            row.names = FALSE, quote = FALSE)
  bic <- mclustBIC(X, G = 1:9, verbose = FALSE)
  b <- matrix(bic, nrow = nrow(bic), dimnames = dimnames(bic))
  write_matrix(b, file.path(out, paste0(name, "_bic.csv")))
  icl <- mclustICL(X, G = 1:9, verbose = FALSE)
  write_matrix(matrix(icl, nrow = nrow(icl), dimnames = dimnames(icl)),
               file.path(out, paste0(name, "_icl.csv")))
  best <- Mclust(X, G = 1:9, x = bic, verbose = FALSE)
  writeLines(c(best$modelName, best$G, g17(best$bic), g17(best$loglik)),
             file.path(out, paste0(name, "_best.txt")))
  write_matrix(cbind(classification = best$classification,
                     uncertainty = best$uncertainty),
               file.path(out, paste0(name, "_best.csv")))
}
