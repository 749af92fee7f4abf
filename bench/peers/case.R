# One case of bench.peers in R's mclust (model VVV: full covariances).
#
#   Rscript case.R MODE DATA.bin N D K INIT.txt N_ITER SEED MIN_TIME MAX_PAIRS
#       DEFAULT_FIT
#
# MODE "case": a warm-up, then pairs of me() from the shared start for 1 and
# for 1 + N_ITER EM iterations (tol 0: no early stop) until MIN_TIME seconds
# are spent (at least one pair, at most MAX_PAIRS), then, if DEFAULT_FIT is
# 1, Mclust()'s default fit with G = K; MODE "first": library(mclust) and
# one default fit, timed from the script's start. DATA.bin holds N x D float64 values, row by row;
# INIT.txt the start's weights, means (row by row) and covariances. Prints
# "key value..." lines; memory is this process's peak resident set (VmHWM,
# reset through /proc/self/clear_refs) minus its resident set before the fit.
t_start <- proc.time()[["elapsed"]]
suppressMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]
n <- as.integer(args[3]); d <- as.integer(args[4]); k <- as.integer(args[5])
X <- matrix(readBin(args[2], "double", n * d), n, d, byrow = TRUE)

status_bytes <- function(key) {
  line <- grep(paste0("^", key, ":"), readLines("/proc/self/status"), value = TRUE)
  as.numeric(gsub("[^0-9]", "", line)) * 1024
}
emit <- function(key, values) {
  cat(key, sprintf("%.17g", values), "\n")
}
emit_fit <- function(prefix, params) {
  emit(paste0(prefix, "_pro"), params$pro)
  emit(paste0(prefix, "_mean"), params$mean)            # d x K, by column
  emit(paste0(prefix, "_sigma"), params$variance$sigma) # d x d x K
}
elapsed <- function(expr) {
  t0 <- proc.time()[["elapsed"]]
  value <- force(expr)
  list(value = value, seconds = proc.time()[["elapsed"]] - t0)
}

if (mode == "first") {
  fit <- Mclust(X, G = k, modelNames = "VVV", verbose = FALSE)
  emit("first_call_s", proc.time()[["elapsed"]] - t_start)
  quit(save = "no")
}

values <- scan(args[6], quiet = TRUE)
n_iter <- as.integer(args[7])
set.seed(as.integer(args[8]))
pro <- values[1:k]
mean <- matrix(values[k + 1:(k * d)], d, k)  # rows of means -> columns
sigma <- array(values[k + k * d + 1:(k * d * d)], c(d, d, k))
chol_sigma <- array(apply(sigma, 3, chol), c(d, d, k))
start <- list(
  pro = pro, mean = mean,
  variance = list(modelName = "VVV", d = d, G = k, sigma = sigma,
                  cholsigma = chol_sigma)
)
z <- estep(X, modelName = "VVV", parameters = start)$z
run_me <- function(iterations) {
  me(X, modelName = "VVV", z = z,
     control = emControl(tol = c(0, sqrt(.Machine$double.eps)),
                         itmax = c(iterations, .Machine$integer.max)))
}
# proc.time() counts milliseconds: a timed fit is run `reps` times in a row
# so that the long one lasts at least 50 ms; times are per fit
reps <- max(1, ceiling(0.05 / max(elapsed(run_me(1 + n_iter))$seconds, 1e-4)))
timed <- function(iterations) {
  t <- elapsed(for (i in seq_len(reps)) fit <- run_me(iterations))
  list(value = fit, seconds = t$seconds / reps)
}
min_time <- as.numeric(args[9]); max_pairs <- as.integer(args[10])
shorts <- c(); longs <- c(); peak <- 0
while (length(longs) == 0 ||
       (reps * sum(shorts, longs) < min_time && length(longs) < max_pairs)) {
  short <- timed(1)
  shorts <- c(shorts, short$seconds)
  invisible(gc())
  before <- status_bytes("VmRSS")
  cat("5", file = "/proc/self/clear_refs")
  long <- timed(1 + n_iter)
  peak <- max(peak, status_bytes("VmHWM") - before)
  longs <- c(longs, long$seconds)
}
emit("same_peak_bytes", peak)
emit("same_short_s", shorts)
emit("same_long_s", longs)
emit("short_n_iter", attr(short$value, "info")[1])
emit("same_n_iter", attr(long$value, "info")[1])
emit_fit("same", long$value$parameters)
why <- attr(long$value, "WARNING")  # me()'s reason for NA parameters
if (!is.null(why)) cat("same_warning", gsub("\n", " ", why), "\n")
if (as.integer(args[11]) == 1) {
  invisible(gc())
  default <- elapsed(Mclust(X, G = k, modelNames = "VVV", verbose = FALSE))
  emit("default_s", default$seconds)
  emit_fit("default", default$value$parameters)
}
