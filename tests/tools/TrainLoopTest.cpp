// nnc train's loop as users of Keras expect it: a validation split, a log
// file, early stopping with the best model saved, --max-steps ending with
// an evaluation; nnc plot and nnc eval's class names.
#include "RunNnc.h"

#include <filesystem>

using namespace nnc;
using namespace nnc::test;

namespace {

std::vector<std::string> lines(const std::string &Text) {
  std::vector<std::string> Out;
  size_t At = 0;
  for (size_t End; (End = Text.find('\n', At)) != std::string::npos;
       At = End + 1)
    Out.push_back(Text.substr(At, End - At));
  return Out;
}

TEST(TrainLoop, ValidationLogBestModelAndCurves) {
  TempDir D;
  Result R = runNnc("train " + exampleModel("lenet5") +
                    " --data fashion-mnist --limit-train 3200 --limit-test "
                    "500 --epochs 3 --val-split 0.1 --log " +
                    D.file("out.csv") + " --early-stop 2 --save-best " +
                    D.file("best.nnc") + " --progress none");
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_TRUE(contains(R.Out, "2880 training, 320 validation and 500 test"))
      << R.Out;
  EXPECT_TRUE(contains(R.Out, "epoch 3/3: train loss ")) << R.Out;
  EXPECT_TRUE(contains(R.Out, ", validation loss ")) << R.Out;
  EXPECT_TRUE(std::filesystem::exists(D.file("best.nnc")));
  std::vector<std::string> Log = lines(readText(D.file("out.csv")));
  ASSERT_EQ(Log.size(), 4u); // the header and an epoch row each
  EXPECT_EQ(Log[0], "kind,step,epoch,lr,train_loss,train_accuracy,val_loss,"
                    "val_accuracy,test_loss,test_accuracy,images_per_second,"
                    "seconds");
  EXPECT_EQ(Log[3].rfind("epoch,135,3,0.001,", 0), 0u) << Log[3];
  EXPECT_EQ(std::count(Log[3].begin(), Log[3].end(), ','), 11);
  EXPECT_FALSE(contains(Log[3], ",,")) << Log[3]; // every column measured

  R = runNnc("plot " + D.file("out.csv") + " -o " + D.file("c.png"));
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_EQ(readText(D.file("c.png")).substr(0, 4), "\x89PNG");
  expectOneLineError(
      runNnc("plot " + D.file("out.csv") + " -o " + D.file("c.gif")),
      "the extension says the format, .png or .svg", 2);
}

TEST(TrainLoop, EarlyStoppingStopsAndStepsAreLogged) {
  TempDir D;
  // Half the data held out and a high learning rate: the validation loss
  // stops falling within a few epochs.
  Result R = runNnc("train " + exampleModel("lenet5") +
                    " --data fashion-mnist --limit-train 640 --limit-test 100 "
                    "--epochs 40 --val-split 0.5 --early-stop 1 --lr 0.01 "
                    "--progress none --log " +
                    D.file("log.jsonl") + " --log-every 2");
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_TRUE(contains(R.Out, "stopping early: no lower validation loss for 1 "
                              "epochs"))
      << R.Out;
  EXPECT_FALSE(contains(R.Out, "epoch 40/40")) << R.Out;
  std::string Log = readText(D.file("log.jsonl"));
  EXPECT_TRUE(contains(Log, "{\"kind\": \"step\", \"step\": 2, \"epoch\": 1, "))
      << Log;
  EXPECT_TRUE(contains(Log, "\"test_loss\": null")) << Log; // step rows
  expectOneLineError(runNnc("train " + exampleModel("lenet5") +
                            " --data fashion-mnist --early-stop 2"),
                     "give --val-split", 2);
}

TEST(TrainLoop, MaxStepsEndsWithATestEvaluation) {
  Result R = runNnc("train " + exampleModel("lenet5") +
                    " --data fashion-mnist --limit-train 3200 --limit-test "
                    "300 --epochs 5 --max-steps 20 --progress none");
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_TRUE(contains(R.Out,
                       "after step 20 (--max-steps), in epoch 1/5: train "
                       "loss "))
      << R.Out;
  EXPECT_TRUE(contains(R.Out, ", test loss ")) << R.Out;
}

TEST(TrainLoop, EvalNamesFashionMnistsClasses) {
  Result R = runNnc("eval " + exampleModel("lenet5") +
                    " --data fashion-mnist --limit 200");
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_TRUE(contains(R.Out, "Ankle boot")) << R.Out;
  EXPECT_TRUE(contains(R.Out, "per class (right / examples of the class):"))
      << R.Out;
}

} // namespace
